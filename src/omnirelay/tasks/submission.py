"""A task an upstream accepted, stored: what every family's submit does once the upstream said yes.

The family describes the task (:class:`NewTask`: its id, kind, model and what it keeps to render
later); :func:`store_submitted` builds the engine's record around the held job (who pays, how
much is held, when it is first polled and when it times out), stores it, and hands the hold over
to the task, or refunds it when the store refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnirelay.db.engine import now_ms
from omnirelay.errors import OmniRelayError
from omnirelay.relay.job import Job
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["NewTask", "store_submitted", "submitted_record"]


@dataclass(frozen=True, slots=True)
class NewTask:
    """What a family says of a task its upstream accepted."""

    id: str
    family: str
    action: str
    model: str
    upstream_id: str
    channel_id: int
    request: Mapping[str, Any] = field(default_factory=dict)
    """Kept on the record for the family's renderer (links' base URL, price name, asked sizes...)."""
    result: Mapping[str, Any] = field(default_factory=dict)
    notify_url: str | None = None
    parent_id: str | None = None
    timeout_s: float | None = None
    """This task's own deadline (a vendor's), else ``tasks.timeout_s``."""
    first_poll_s: float | None = None
    """When it is first polled, else ``tasks.poll_min_s``."""


def submitted_record(task: NewTask, job: Job, settings: TaskSettings) -> TaskRecord:
    """The engine's record of ``task``, held by ``job``, as it starts: SUBMITTED, due for its first poll."""
    now = now_ms()
    poll_ms = int((task.first_poll_s or settings.poll_min_s) * 1000)
    return TaskRecord(
        id=task.id, family=task.family, action=task.action, model=task.model, status=Status.SUBMITTED,
        progress=0, account_id=job.caller.key.account_id, key_id=job.caller.key.id, channel_id=task.channel_id,
        upstream_id=task.upstream_id, parent_id=task.parent_id, hold=job.reservation.amount, billing="reserved",
        cost=0, request=dict(task.request), result=dict(task.result), fail_reason=None, notify_url=task.notify_url,
        submit_time=now, start_time=None, finish_time=None,
        deadline=now + int((task.timeout_s or settings.timeout_s) * 1000),
        next_poll_at=now + poll_ms, poll_interval_ms=poll_ms, version=1, updated_at=now,
    )  # fmt: skip


async def store_submitted(engine: TaskEngine, task: NewTask, job: Job, settings: TaskSettings) -> TaskRecord:
    """Store ``task`` and give it ``job``'s hold; a store that refuses refunds the hold and raises."""
    try:
        stored = await engine.create(submitted_record(task, job, settings))
    except Exception as exc:
        await job.fail(OmniRelayError(f"the task could not be stored: {exc}"))
        raise
    job.hand_over()
    return stored
