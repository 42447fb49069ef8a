"""Reading BFL tasks back (``GET /v1/get_result?id=``). Never billed.

Only the caller's own tasks are found; any other id (unknown, another account's, another family's)
answers BFL's ``Task not found`` (404), so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any

from omnirelay.families.bfl.wire import FAMILY, BflFamily, not_found
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine

__all__ = ["BflQueries"]

_MAX_ID = 128


class BflQueries:
    def __init__(self, *, engine: TaskEngine, family: BflFamily) -> None:
        self._engine = engine
        self._family = family

    async def get(self, task_id: str, caller: Caller) -> tuple[int, dict[str, Any]]:
        """(HTTP status, ResultResponse) of the caller's task ``task_id``."""
        record = await self._engine.read(task_id) if 0 < len(task_id) <= _MAX_ID else None
        if record is None or record.family != FAMILY or record.account_id != caller.key.account_id:
            return 404, not_found(task_id)
        return 200, self._family.render(record)
