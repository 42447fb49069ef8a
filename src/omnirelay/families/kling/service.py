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
from omnirelay.db.engine import now_ms
from omnirelay.errors import OmniRelayError
from omnirelay.families.kling.creates import KlingCreate, parse_create
from omnirelay.families.kling.upstream import KlingAccepted, KlingKind, KlingSubmit, KlingUpstream
from omnirelay.families.kling.wire import FAMILY, KlingFamily
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord
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
        record = self._record(task_id, create, ctx, job, accepted, channel_id, price)
        try:
            await self._engine.create(record)
        except Exception as exc:
            await job.fail(OmniRelayError(f"the task could not be stored: {exc}"))
            raise
        job.hand_over()
        return self._family.created(record)

    def _record(
        self,
        task_id: str,
        create: KlingCreate,
        ctx: SubmitContext,
        job: Job,
        accepted: KlingAccepted,
        channel_id: int,
        price: str,
    ) -> TaskRecord:
        now = now_ms()
        poll_ms = int(self._settings.poll_min_s * 1000)
        return TaskRecord(
            id=task_id,
            family=FAMILY,
            action=create.kind.upper(),
            model=create.model,
            status=Status.SUBMITTED,
            progress=0,
            account_id=ctx.caller.key.account_id,
            key_id=ctx.caller.key.id,
            channel_id=channel_id,
            upstream_id=accepted.upstream_id,
            parent_id=None,
            hold=job.reservation.amount,
            billing="reserved",
            cost=0,
            request={
                "kind": create.kind,
                "base_url": ctx.base_url,
                "calls": create.calls,
                "mode": create.mode,
                "duration": create.duration,
                "price": price,
            },
            result={"external_task_id": create.external_task_id} if create.external_task_id else {},
            fail_reason=None,
            notify_url=create.callback_url,
            submit_time=now,
            start_time=None,
            finish_time=None,
            deadline=now + int(self._settings.timeout_s * 1000),
            next_poll_at=now + poll_ms,
            poll_interval_ms=poll_ms,
            version=1,
            updated_at=now,
        )
