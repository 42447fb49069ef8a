"""Submitting Kling tasks: check, hold the price, send upstream, store the task, answer it.

Nothing is held before the create is known to be acceptable (fields, images, the callback's
destination), and nothing is stored unless an upstream accepted the task: a refused or failed
create is refunded at once, after failing over to the model's other channels where that can help.
From then on the engine polls the task, settles the hold when it succeeds and refunds it when it
fails or times out, and delivers ``callback_url`` as signed webhooks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.families.kling.creates import KlingCreate, parse_create
from omnirelay.families.kling.upstream import KlingAccepted, KlingKind, KlingSubmit, KlingUpstream
from omnirelay.families.kling.wire import FAMILY, KlingFamily
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.submission import NewTask, store_submitted
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["KlingService", "SubmitContext"]


@dataclass(frozen=True, slots=True)
class SubmitContext:
    caller: Caller
    base_url: str
    endpoint: str


class KlingService:
    def __init__(
        self,
        *,
        gate: Gate,
        engine: TaskEngine,
        catalog: Catalog,
        family: KlingFamily,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._gate = gate
        self._engine = engine
        self._catalog = catalog
        self._family = family
        self._settings = settings
        self._allowed = allowed_networks

    def _price_name(self, create: KlingCreate) -> str:
        prices = self._catalog.snapshot.prices
        return next((name for name in create.price_names if name in prices), create.model)

    async def submit(self, kind: KlingKind, body: object, ctx: SubmitContext) -> dict[str, object]:
        """The new task as a create answers it (``data``)."""
        create = parse_create(kind, body)
        if create.callback_url:
            await check_destination(create.callback_url, self._allowed)
        task_id = str(uuid.uuid4().int % 10**18).zfill(18)
        price = self._price_name(create)
        job = await self._gate.open_job(
            ctx.caller, JobRequest(ctx.endpoint, create.model, 0, 0, price_name=price, calls=create.calls), task_id
        )
        call = KlingSubmit(kind, create.body)

        async def attempt(provider: KlingUpstream, channel: Channel) -> tuple[KlingAccepted, int]:
            return await provider.submit(channel, call), channel.id

        accepted, channel_id = await self._gate.run(job, KlingUpstream, attempt)
        request = {"kind": create.kind, "base_url": ctx.base_url, "calls": create.calls, "mode": create.mode,
                   "duration": create.duration, "price": price}  # fmt: skip
        task = NewTask(
            id=task_id, family=FAMILY, action=create.kind.upper(), model=create.model,
            upstream_id=accepted.upstream_id, channel_id=channel_id, request=request,
            result={"external_task_id": create.external_task_id} if create.external_task_id else {},
            notify_url=create.callback_url,
        )  # fmt: skip
        return self._family.created(await store_submitted(self._engine, task, job, self._settings))
