"""``POST /mj/task/{id}/cancel``: stop one of the caller's own tasks and give its money back.

The task ends as ``CANCEL`` through the task engine's compare-and-swap, the same path a failure
takes: its hold is refunded exactly once, and its webhook event (``mj.task.cancel``) is queued
in the same transaction. Then the upstream is asked to stop when it can (trueai's cancel
route); proxies without one keep running the job, and whatever they report later is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.catalog import Catalog
from omnirelay.db.engine import now_ms
from omnirelay.errors import InvalidRequest, OmniRelayError
from omnirelay.families.midjourney.queries import owned
from omnirelay.families.midjourney.upstream import MidjourneyCancel
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord, UpstreamState

__all__ = ["CANCEL_REASON", "TaskCancels"]

log = structlog.get_logger(__name__)

CANCEL_REASON = "Cancelled at the caller's request."
_ATTEMPTS = 10


def _still_running(record: TaskRecord) -> TaskRecord:
    if record.finished:
        raise InvalidRequest(
            f"The task {record.id} has already ended ({record.status}); only a task still running can be cancelled.",
            code="task_already_finished",
        )
    return record


class TaskCancels:
    def __init__(self, *, engine: TaskEngine, catalog: Catalog, providers: Mapping[str, object]) -> None:
        self._engine = engine
        self._catalog = catalog
        self._providers = providers

    async def cancel(self, task_id: str, caller: Caller) -> TaskRecord:
        """The task as cancelled; 404 (code 3) when it is not the caller's, 400 (code 4) when it has ended."""
        record = _still_running(await self._own(task_id, caller))
        for _ in range(_ATTEMPTS):  # a poll or callback may move the task on meanwhile: re-read and retry
            state = UpstreamState(
                status=Status.CANCEL,
                progress=record.progress,
                fail_reason=CANCEL_REASON,
                result={"imageUrl": None},  # no free previews of a refunded task
                finish_time=now_ms(),
            )
            after = await self._engine.observe(record, state)
            if after is not None:
                await self._tell_upstream(after)  # after: its own report of the stop must find the task ended
                return after
            record = _still_running(await self._own(task_id, caller))
        raise OmniRelayError(f"The task {task_id} kept changing while it was being cancelled; try again.")

    async def _own(self, task_id: str, caller: Caller) -> TaskRecord:
        return owned(await self._engine.store.get(task_id), task_id, caller)

    async def _tell_upstream(self, record: TaskRecord) -> None:
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        upstream = capable(self._providers, channel.type, MidjourneyCancel) if channel else None
        if channel is None or upstream is None or record.upstream_id is None:
            return
        try:
            stopped = await upstream.cancel(channel, record.upstream_id)
        except OmniRelayError as exc:
            log.warning("upstream cancel failed", task=record.id, channel=channel.id, error=exc.message)
            return
        if not stopped:
            log.info("upstream cannot cancel; its result will be dropped", task=record.id, channel=channel.id)
