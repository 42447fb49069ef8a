"""Reading Kling tasks back: one by task id or ``external_task_id``, and a kind's list. Never billed.

Only the caller's own tasks of the kind the path names are found; any other id (unknown,
another account's, another kind's) answers Kling's not-found (404/1203), so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import NotFound
from omnirelay.families.kling.upstream import KlingKind
from omnirelay.families.kling.wire import FAMILY, KlingFamily
from omnirelay.integers import optional_whole_number
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import TaskRecord

__all__ = ["KlingQueries", "page_of"]

MAX_PAGE_SIZE = 500
_SCANNED = 200
"""Tasks read per store page while a list gathers one kind's tasks."""
_MAX_SCANNED = 5000
"""A list reads at most this many of the account's Kling tasks (deeper pages come back empty)."""


def page_of(page_num: str | None, page_size: str | None) -> tuple[int, int]:
    """``pageNum`` (from 1) and ``pageSize`` (1..500, 30 by default) of a list request."""
    number = optional_whole_number(page_num, "pageNum", low=1, high=10_000) or 1
    size = optional_whole_number(page_size, "pageSize", low=1, high=MAX_PAGE_SIZE) or 30
    return number, size


class KlingQueries:
    def __init__(self, *, engine: TaskEngine, family: KlingFamily) -> None:
        self._engine = engine
        self._family = family

    def _mine(self, record: TaskRecord | None, kind: KlingKind, caller: Caller) -> bool:
        return (
            record is not None
            and record.family == FAMILY
            and record.account_id == caller.key.account_id
            and record.request.get("kind") == kind
        )

    async def get(self, kind: KlingKind, key: str, caller: Caller) -> dict[str, Any]:
        """The caller's task of ``kind`` whose id (or else ``external_task_id``) is ``key``."""
        record = await self._engine.read(key) if key.isdigit() else None
        if not self._mine(record, kind, caller):
            record = await self._by_external_id(kind, key, caller)
        if record is None:
            raise NotFound(f"No {kind} task {key} of yours exists.")
        return self._family.render(record)

    async def _by_external_id(self, kind: KlingKind, key: str, caller: Caller) -> TaskRecord | None:
        found = await self._engine.store.mentioning(caller.key.account_id, FAMILY, key, 20)
        return next((r for r in found if r.result.get("external_task_id") == key and self._mine(r, kind, caller)), None)

    async def list(self, kind: KlingKind, caller: Caller, number: int, size: int) -> list[dict[str, Any]]:
        """Page ``number`` of the caller's ``kind`` tasks, newest first."""
        wanted, skip = size, (number - 1) * size
        kept: list[TaskRecord] = []
        before: tuple[int, str] | None = None
        for _ in range(_MAX_SCANNED // _SCANNED):
            rows = await self._engine.store.page(caller.key.account_id, FAMILY, before=before, limit=_SCANNED)
            for record in rows:
                if record.request.get("kind") == kind:
                    if skip > 0:
                        skip -= 1
                    elif len(kept) < wanted:
                        kept.append(record)
            if len(rows) < _SCANNED or len(kept) >= wanted:
                break
            before = (rows[-1].submit_time, rows[-1].id)
        return [self._family.render(r) for r in kept]
