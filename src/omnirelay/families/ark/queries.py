"""Reading Seedance tasks back: one by id, and the caller's list with Ark's filters. Never billed.

Only the caller's own, undeleted Seedance tasks are found; any other id (unknown, another
account's, deleted) answers Ark's not-found (404 ``ResourceNotFound``), so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.ark.wire import FAMILY, SeedanceFamily, ark_status, is_deleted
from omnirelay.integers import optional_whole_number
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import TaskRecord

__all__ = ["STATUSES", "ListQuery", "SeedanceQueries", "list_query", "owned"]

STATUSES = ("queued", "running", "cancelled", "succeeded", "failed", "expired")
MAX_PAGE_SIZE = 500
_SCANNED = 200
_MAX_SCANNED = 5000
"""A list reads at most this many of the account's Ark tasks (older ones are not counted)."""


@dataclass(frozen=True, slots=True)
class ListQuery:
    page_num: int
    page_size: int
    status: str | None
    task_ids: frozenset[str]
    model: str | None

    def matches(self, record: TaskRecord) -> bool:
        return (
            not is_deleted(record)
            and (self.status is None or ark_status(record) == self.status)
            and (not self.task_ids or record.id in self.task_ids)
            and (self.model is None or record.model == self.model)
        )


def list_query(
    page_num: str | None, page_size: str | None, status: str | None, task_ids: Sequence[str], model: str | None
) -> ListQuery:
    """A list request's parameters, checked (``filter.task_ids`` repeated or comma-separated)."""
    number = optional_whole_number(page_num, "page_num", low=1, high=500) or 1
    size = optional_whole_number(page_size, "page_size", low=1, high=MAX_PAGE_SIZE) or 10
    if status not in (None, "", *STATUSES):
        raise InvalidRequest(f"filter.status must be one of {', '.join(STATUSES)}.", param="filter.status")
    ids = frozenset(part.strip() for value in task_ids for part in value.split(",") if part.strip())
    return ListQuery(number, size, status or None, ids, model or None)


def owned(record: TaskRecord | None, task_id: str, caller: Caller) -> TaskRecord:
    """The caller's undeleted Seedance task, else NotFound."""
    if record is None or record.family != FAMILY or record.account_id != caller.key.account_id or is_deleted(record):
        raise NotFound(f"The task {task_id} does not exist.")
    return record


class SeedanceQueries:
    def __init__(self, *, engine: TaskEngine, family: SeedanceFamily) -> None:
        self._engine = engine
        self._family = family

    async def get(self, task_id: str, caller: Caller) -> dict[str, Any]:
        record = await self._engine.read(task_id) if task_id.startswith("cgt-") else None
        return self._family.render(owned(record, task_id, caller))

    async def list(self, caller: Caller, query: ListQuery) -> dict[str, Any]:
        """``{"items": [...], "total": n}``: page ``page_num`` of the matching tasks, newest first."""
        matching: list[TaskRecord] = []
        before: tuple[int, str] | None = None
        for _ in range(_MAX_SCANNED // _SCANNED):
            rows = await self._engine.store.page(caller.key.account_id, FAMILY, before=before, limit=_SCANNED)
            matching += [r for r in rows if query.matches(r)]
            if len(rows) < _SCANNED:
                break
            before = (rows[-1].submit_time, rows[-1].id)
        start = (query.page_num - 1) * query.page_size
        page = matching[start : start + query.page_size]
        return {"items": [self._family.render(r) for r in page], "total": len(matching)}
