"""Creating predictions: check, hold the price, send upstream, store the task, then maybe wait.

Nothing is held before the request is known to be acceptable (headers, body, a known model's
input, the webhook's destination), and nothing is stored unless the upstream accepted the
prediction: a refused or failed create is refunded at once. Afterwards the task engine owns the
prediction: polls, the upstream's webhooks (a reason to poll), the Cancel-After deadline, the
settle (per second of ``predict_time`` or per prediction) or the refund, and the client's webhooks.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.errors import ModelNotFound, OmniRelayError
from omnirelay.families.replicate.ids import new_prediction_id
from omnirelay.families.replicate.pricing import reserved_units
from omnirelay.families.replicate.request import CreateRequest
from omnirelay.families.replicate.upstream import ReplicateUpstream
from omnirelay.families.replicate.wire import ReplicateFamily
from omnirelay.providers.replicate.upstream import ReplicateCreate, ReplicatePrediction
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.settings import TaskSettings
from omnirelay.tasks.callback_tokens import CallbackTokens
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["CreateContext", "ReplicateService"]

_WAIT_POLL_S = 0.25
"""How often a ``Prefer: wait`` request asks the upstream about its prediction."""
_DEADLINE_GRACE_S = 2.0
"""After a Cancel-After deadline the upstream's own ``canceled``/``aborted`` is awaited this long."""


@dataclass(frozen=True, slots=True)
class CreateContext:
    caller: Caller
    base_url: str
    prefix: str
    """``/v1`` or ``/replicate/v1``: where this prediction's ``urls`` point."""
    wait_s: int | None
    cancel_after_s: int | None
    cancel_after: str | None = None
    """The ``Cancel-After`` header as the client sent it (forwarded upstream)."""


class ReplicateService:
    def __init__(
        self,
        *,
        gate: Gate,
        engine: TaskEngine,
        family: ReplicateFamily,
        callbacks: CallbackTokens,
        settings: TaskSettings,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._gate = gate
        self._engine = engine
        self._family = family
        self._callbacks = callbacks
        self._settings = settings
        self._allowed = allowed_networks

    async def _open(self, request: CreateRequest, ctx: CreateContext, task_id: str, units: int) -> Job:
        """The held job; a known model nobody serves says why the local provider cannot either."""
        try:
            return await self._gate.open_job(
                ctx.caller, JobRequest(f"{ctx.prefix}/predictions", request.model, 0, 0, calls=units), task_id
            )
        except ModelNotFound as exc:
            if request.known is None or request.known.offline is None:
                raise
            raise ModelNotFound(f"{exc.message} {request.known.offline}", param="model") from exc

    async def create(self, request: CreateRequest, ctx: CreateContext) -> TaskRecord:
        """The new prediction, finished when it finished within ``Prefer: wait``."""
        started = time.monotonic()
        if request.webhook:
            await check_destination(request.webhook, self._allowed)
        task_id = new_prediction_id()
        units = reserved_units(request.known, ctx.cancel_after_s)
        job = await self._open(request, ctx, task_id, units)

        async def attempt(provider: ReplicateUpstream, channel: Channel) -> tuple[ReplicatePrediction, int]:
            signed = channel.options.get("webhook_secret")  # the callback is signed only for channels that take it
            create = ReplicateCreate(
                addressing=request.addressing,
                target=request.target,
                body={"input": request.input},
                wait_s=ctx.wait_s,
                cancel_after=ctx.cancel_after,
                upstream_webhook=self._callbacks.url(ctx.base_url, task_id) if signed else None,
            )
            return await provider.create(channel, create), channel.id

        answer, channel_id = await self._gate.run(job, ReplicateUpstream, attempt)
        record = self._record(task_id, request, ctx, job, answer, channel_id, units)
        record = await self._store(record, job, answer)
        if ctx.wait_s is not None and not record.finished:
            record = await self.wait(record, started + ctx.wait_s)
        return record

    def _record(
        self,
        task_id: str,
        request: CreateRequest,
        ctx: CreateContext,
        job: Job,
        answer: ReplicatePrediction,
        channel_id: int,
        units: int,
    ) -> TaskRecord:
        now = now_ms()
        timeout = now + int(self._settings.timeout_s * 1000)
        deadline = now + ctx.cancel_after_s * 1000 if ctx.cancel_after_s is not None else None
        swept = min(timeout, deadline + int(_DEADLINE_GRACE_S * 1000)) if deadline is not None else timeout
        return TaskRecord(
            id=task_id,
            family=ReplicateFamily.name,
            action="PREDICT",
            model=request.model,
            status=Status.SUBMITTED,
            progress=0,
            account_id=ctx.caller.key.account_id,
            key_id=ctx.caller.key.id,
            channel_id=channel_id,
            upstream_id=answer.upstream_id,
            parent_id=None,
            hold=job.reservation.amount,
            billing="reserved",
            cost=0,
            request=_request_payload(request, ctx, job, units, deadline),
            result={},
            fail_reason=None,
            notify_url=request.webhook,
            submit_time=now,
            start_time=None,
            finish_time=None,
            deadline=swept,
            next_poll_at=now + int(self._settings.poll_min_s * 1000),
            poll_interval_ms=int(self._settings.poll_min_s * 1000),
            version=1,
            updated_at=now,
        )

    async def _store(self, record: TaskRecord, job: Job, answer: ReplicatePrediction) -> TaskRecord:
        try:
            record = await self._engine.create(record, answer.state)
        except Exception as exc:
            await job.fail(OmniRelayError(f"the prediction could not be stored: {exc}"))
            raise
        job.answered_status = 201  # the log row shows what the client got
        job.hand_over()
        moved = await self._engine.observe(record, answer.state)  # a finished answer; else already stored
        return moved or record

    async def wait(self, record: TaskRecord, until: float) -> TaskRecord:
        """``record`` once it finished, or as it is at ``until`` (monotonic seconds)."""
        while not record.finished and time.monotonic() < until:
            self._engine.poll_soon(record)
            await asyncio.sleep(min(_WAIT_POLL_S, max(until - time.monotonic(), 0.0)))
            record = await self._engine.read(record.id) or record
        return record


def _request_payload(
    request: CreateRequest, ctx: CreateContext, job: Job, units: int, deadline: int | None
) -> dict[str, Any]:
    """What the prediction shows of its request, and what billing needs of it when it ends."""
    per_second = request.known is not None and request.known.per_second
    return {
        "model": request.model if request.deployment is None else request.deployment,
        "version": request.version,
        "input": request.input,
        "deployment": request.deployment,
        "webhook": request.webhook,
        "webhook_events_filter": list(request.events) if request.webhook else None,
        "base_url": ctx.base_url,
        "prefix": ctx.prefix,
        "deadline_ms": deadline,
        "per_second_price": job.price.per_call if per_second and job.price.mode == "per_call" else None,
        "multiplier": str(job.multiplier),
        "reserved_units": units,
    }
