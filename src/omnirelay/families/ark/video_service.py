"""Submitting Seedance tasks: check, hold the price, send upstream, store the task, answer its id.

Nothing is held before the create is known to be acceptable (fields, images, the callback's
destination), and nothing is stored unless an upstream accepted the task: a refused or failed
create is refunded at once, after failing over to the model's other channels where that can help.
From then on the engine polls the task, settles the hold when it succeeds (at the price of what
the upstream made, :mod:`.metering`) and refunds it when it fails, expires, is cancelled or times
out, and delivers ``callback_url`` as signed webhooks.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest
from omnirelay.families.ark.upstream import SeedanceSubmit, SeedanceUpstream
from omnirelay.families.ark.video_checks import SeedanceCreate, parse_video_create
from omnirelay.families.ark.wire import FAMILY
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.submission import NewTask, store_submitted
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["SeedanceService", "SubmitContext", "new_task_id"]

_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class SubmitContext:
    caller: Caller
    base_url: str
    endpoint: str


def new_task_id() -> str:
    """``cgt-{UTC yyyymmddHHMMSS}-{5 random}``, the shape of Ark's own ids."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return f"cgt-{stamp}-{''.join(secrets.choice(_ALPHABET) for _ in range(5))}"


class SeedanceService:
    def __init__(
        self,
        *,
        gate: Gate,
        engine: TaskEngine,
        catalog: Catalog,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._gate = gate
        self._engine = engine
        self._catalog = catalog
        self._settings = settings
        self._allowed = allowed_networks

    def _price_name(self, create: SeedanceCreate) -> str:
        prices = self._catalog.snapshot.prices
        return next((name for name in create.price_names if name in prices), create.model)

    async def submit(self, body: object, ctx: SubmitContext) -> dict[str, str]:
        """``{"id": "cgt-..."}``, as Ark answers a create."""
        create = parse_video_create(body)
        if create.callback_url:
            try:
                await check_destination(create.callback_url, self._allowed)
            except InvalidRequest as exc:
                raise InvalidRequest(exc.message, param="callback_url", code=exc.code) from exc
        task_id, price = new_task_id(), self._price_name(create)
        job = await self._gate.open_job(
            ctx.caller, JobRequest(ctx.endpoint, create.model, 0, 0, price_name=price), task_id
        )
        call = SeedanceSubmit(create.body)

        async def attempt(provider: SeedanceUpstream, channel: Channel) -> tuple[str, int]:
            return await provider.submit_video(channel, call), channel.id

        upstream_id, channel_id = await self._gate.run(job, SeedanceUpstream, attempt)
        asked = {key: create.body.get(key) for key in ("seed", "ratio")}
        request = {**asked, "base_url": ctx.base_url, "price": price, "resolution": create.resolution,
                   "duration": create.duration}  # fmt: skip
        task = NewTask(
            id=task_id, family=FAMILY, action="VIDEO", model=create.model, upstream_id=upstream_id,
            channel_id=channel_id, request=request, notify_url=create.callback_url,
        )  # fmt: skip
        await store_submitted(self._engine, task, job, self._settings)
        return {"id": task_id}
