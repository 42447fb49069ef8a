"""``/mj/task/list`` and ``/mj/task/queue``: the caller's own Midjourney tasks, never anyone else's.

``list`` is the newest first (trueai: the latest 100); ``queue`` the tasks not finished yet,
oldest first, in the order they were submitted (novicezk). Both are bounded and never billed.
"""

from __future__ import annotations

from typing import Any

from omnirelay.families.midjourney.wire import MidjourneyFamily
from omnirelay.integers import optional_whole_number
from omnirelay.relay.auth import Caller
from omnirelay.tasks.store import TaskStore

__all__ = ["MAX_LISTED", "TaskListing", "listed_limit"]

MAX_LISTED = 100


def listed_limit(value: str | None) -> int:
    """The optional ``limit`` query parameter: 1 to 100, 100 when absent."""
    return optional_whole_number(value, "limit", low=1, high=MAX_LISTED) or MAX_LISTED


class TaskListing:
    def __init__(self, *, store: TaskStore, family: MidjourneyFamily) -> None:
        self._store = store
        self._family = family

    async def recent(self, caller: Caller, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        records = await self._store.of_account(
            caller.key.account_id, self._family.name, waiting=False, newest_first=True, limit=limit
        )
        return [self._family.render(r) for r in records]

    async def queue(self, caller: Caller, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
        records = await self._store.of_account(
            caller.key.account_id, self._family.name, waiting=True, newest_first=False, limit=limit
        )
        return [self._family.render(r) for r in records]
