"""Whose a task or a clip is: continuations act only on the caller's own, and run where they were made.

A clip is named by the upstream's id (clients pass ``continue_clip_id``, ``cover_clip_id``...).
With ``task_id`` the clip must be one of that task's; without it, the caller's own Suno tasks
are searched for it (newest first). Either way another account's clip, an unknown one, or one
of a task still running answers ``task_not_exist``/``invalid_request`` before money is held.
"""

from __future__ import annotations

from collections.abc import Mapping

from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.suno.submissions import ClipRef
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["FAMILY", "TaskNotExist", "TaskOwners"]

FAMILY = "suno"
_SEARCHED = 50
"""Candidate tasks read when a clip is looked up without its task: the text match narrows them first."""


class TaskNotExist(NotFound):
    """The 2A ``task_not_exist``: no such task or clip of the caller's (or it expired)."""

    status_code = 400
    code = "task_not_exist"


def has_clip(record: TaskRecord, clip_id: str) -> bool:
    clips = record.result.get("data")
    if not isinstance(clips, list):
        return False
    return any(isinstance(c, Mapping) and c.get("id") == clip_id for c in clips)


class TaskOwners:
    def __init__(self, engine: TaskEngine) -> None:
        self._engine = engine

    def owned(self, record: TaskRecord | None, task_id: str, caller: Caller) -> TaskRecord:
        if record is None or record.account_id != caller.key.account_id or record.family != FAMILY:
            raise TaskNotExist(f"No task {task_id} of yours exists (or it has expired).")
        return record

    async def task(self, task_id: str, caller: Caller) -> TaskRecord:
        return self.owned(await self._engine.read(task_id), task_id, caller)

    async def producer(self, ref: ClipRef, caller: Caller) -> TaskRecord:
        """The caller's finished task that made the clip ``ref`` names."""
        if ref.task_id is not None:
            record = self.owned(await self._engine.store.get(ref.task_id), ref.task_id, caller)
            if not has_clip(record, ref.clip_id):
                raise TaskNotExist(f"The task {ref.task_id} has no clip {ref.clip_id}.")
        else:
            record = await self._search(ref.clip_id, caller)
        if record.status != Status.SUCCESS:
            raise InvalidRequest(
                f"The task {record.id} that made clip {ref.clip_id} is {record.status}; only finished clips "
                "can be continued.",
                param=ref.field,
            )
        return record

    async def _search(self, clip_id: str, caller: Caller) -> TaskRecord:
        found = await self._engine.store.mentioning(caller.key.account_id, FAMILY, clip_id, _SEARCHED)
        for record in found:
            if has_clip(record, clip_id):
                return record
        raise TaskNotExist(f"No clip {clip_id} of yours exists (or it has expired).")
