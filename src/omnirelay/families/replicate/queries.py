"""Reading predictions back, canceling them, and taking in the upstream's webhooks.

A prediction is found only by the account that created it: any other id is a 404, the same
answer as for an id that never existed. Reads are never billed. A cancel ends the prediction
through the engine's compare-and-swap (refunded exactly once, the ``completed`` webhook queued
in the same transaction), then asks the upstream to stop. An upstream's webhook names its task
in its URL with that task's token, and is only a reason to poll the upstream now: what it
says is never applied.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.catalog import Catalog
from omnirelay.db.engine import now_ms
from omnirelay.errors import NotFound, OmniRelayError
from omnirelay.families.replicate.upstream import ReplicateCancel, ReplicateWebhookCheck
from omnirelay.families.replicate.wire import ReplicateFamily
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.tasks.callback_tokens import CallbackTokens
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord, UpstreamState

__all__ = ["CANCEL_REASON", "Predictions", "owned"]

log = structlog.get_logger(__name__)

CANCEL_REASON = "Canceled at the caller's request."
_ATTEMPTS = 10


def owned(record: TaskRecord | None, task_id: str, caller: Caller) -> TaskRecord:
    """``record`` when it is a prediction of the caller's account, else 404."""
    if record is None or record.account_id != caller.key.account_id or record.family != ReplicateFamily.name:
        raise NotFound(f"No prediction {task_id} of yours exists.", code="prediction_not_found")
    return record


class Predictions:
    def __init__(
        self,
        *,
        engine: TaskEngine,
        catalog: Catalog,
        providers: Mapping[str, object],
        callbacks: CallbackTokens,
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._providers = providers
        self._callbacks = callbacks

    async def get(self, task_id: str, caller: Caller) -> TaskRecord:
        return owned(await self._engine.read(task_id), task_id, caller)

    async def cancel(self, task_id: str, caller: Caller) -> TaskRecord:
        """The prediction as canceled; one that already ended is answered as it is."""
        record = owned(await self._engine.store.get(task_id), task_id, caller)
        for _ in range(_ATTEMPTS):  # a poll may move it on meanwhile: read again and retry
            if record.finished:
                return record
            state = UpstreamState(
                status=Status.CANCEL,
                progress=record.progress,
                fail_reason=CANCEL_REASON,
                finish_time=now_ms(),
            )
            after = await self._engine.observe(record, state)
            if after is not None:
                await self._tell_upstream(after)  # after: its own report of the stop finds it ended
                return after
            record = owned(await self._engine.store.get(task_id), task_id, caller)
        raise OmniRelayError(f"The prediction {task_id} kept changing while it was being canceled; try again.")

    async def _tell_upstream(self, record: TaskRecord) -> None:
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        upstream = capable(self._providers, channel.type, ReplicateCancel) if channel else None
        if channel is None or upstream is None or record.upstream_id is None:
            return
        try:
            await upstream.cancel(channel, record.upstream_id)
        except OmniRelayError as exc:
            log.warning("upstream cancel failed", task=record.id, channel=channel.id, error=exc.message)

    async def callback(self, task_id: str, token: str, headers: Mapping[str, str], body: bytes) -> bool:
        """An upstream's webhook about ``task_id``; True when it made the engine poll the prediction.

        Its URL's token names the task; its signature (the channel's ``options.webhook_secret``)
        is checked by the adapter, and it must be about the upstream prediction the task holds."""
        record = await self._engine.store.get(task_id) if self._callbacks.verify(task_id, token) else None
        if record is None or record.family != ReplicateFamily.name:
            raise NotFound("Unknown callback URL.")
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        checker = capable(self._providers, channel.type, ReplicateWebhookCheck) if channel else None
        if channel is None or checker is None:
            raise NotFound("Unknown callback URL.")
        said = checker.verify_webhook(channel, headers, body)
        if said.upstream_id != record.upstream_id:
            raise NotFound("Unknown callback URL.")
        return self._engine.poll_soon(record)
