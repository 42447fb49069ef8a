"""``DELETE /api/v3/contents/generations/tasks/{id}``: cancel a queued task, or delete a finished one.

* queued: the upstream is asked to drop it first (Ark cancels only tasks still queued; an
  upstream that cannot be reached answers 502 and nothing changes). Once it has, the task ends
  ``cancelled`` through the engine's compare-and-swap, the path a failure takes, so its hold is
  refunded exactly once and its webhook is queued in the same transaction. A channel that is
  gone cannot run it either: the task is cancelled all the same.
* running: refused (400 ``OperationDenied.TaskRunning``): Ark cannot stop it any more.
* finished (succeeded, failed, expired, cancelled): the record is marked deleted; no read finds it
  again, its money history stays.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.catalog import Catalog
from omnirelay.db.engine import now_ms
from omnirelay.errors import InvalidRequest, OmniRelayError
from omnirelay.families.ark.queries import owned
from omnirelay.families.ark.upstream import SeedanceUpstream
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord, UpstreamState

__all__ = ["CANCEL_REASON", "SeedanceRemoval"]

log = structlog.get_logger(__name__)

CANCEL_REASON = "Cancelled at the caller's request."
_ATTEMPTS = 10
_QUEUED = (Status.NOT_START, Status.SUBMITTED)


def _running(task_id: str) -> InvalidRequest:
    return InvalidRequest(
        f"The task {task_id} is already running and can no longer be cancelled; delete it once it has finished.",
        code="ark_OperationDenied.TaskRunning",
    )


class SeedanceRemoval:
    def __init__(self, *, engine: TaskEngine, catalog: Catalog, providers: Mapping[str, object]) -> None:
        self._engine = engine
        self._catalog = catalog
        self._providers = providers

    async def delete(self, task_id: str, caller: Caller) -> None:
        record = await self._own(task_id, caller)
        cancelling = record.status in _QUEUED
        if cancelling and not await self._upstream_dropped(record):
            self._engine.poll_soon(record)
            raise _running(task_id)
        for _ in range(_ATTEMPTS):  # a poll may move the task on meanwhile: re-read and retry
            if record.status == Status.IN_PROGRESS:
                raise _running(task_id)
            if cancelling and record.finished:
                return  # the poll saw the upstream drop it first: cancelled (and refunded) all the same
            if await self._end(record):
                return
            record = await self._own(task_id, caller)
        raise OmniRelayError(f"The task {task_id} kept changing while it was being deleted; try again.")

    async def _end(self, record: TaskRecord) -> bool:
        """Cancel a queued task or mark a finished one deleted; False when another change won."""
        if record.status in _QUEUED:
            state = UpstreamState(Status.CANCEL, record.progress, fail_reason=CANCEL_REASON, finish_time=now_ms())
            return await self._engine.observe(record, state) is not None
        now = now_ms()
        gone = record.replace(result={**record.result, "deleted": True}, version=record.version + 1, updated_at=now)
        return bool(await self._engine.commit([(record, gone)]))

    async def _own(self, task_id: str, caller: Caller) -> TaskRecord:
        return owned(await self._engine.store.get(task_id), task_id, caller)

    async def _upstream_dropped(self, record: TaskRecord) -> bool:
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        upstream = capable(self._providers, channel.type, SeedanceUpstream) if channel else None
        if channel is None or upstream is None or record.upstream_id is None:
            return True
        try:
            return await upstream.cancel_video(channel, record.upstream_id)
        except OmniRelayError as exc:  # the client may try again; nothing changed here
            log.warning("upstream cancel failed", task=record.id, channel=channel.id, error=exc.message)
            raise
