"""Reading Suno tasks back: ``GET /suno/fetch/{id}`` and ``POST /suno/fetch {ids, action}``. Never billed.

Ids that are unknown, expired or another account's are left out of a list, as new-api does;
asked for alone, they answer ``task_not_exist``.
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.suno.owners import FAMILY, TaskNotExist, TaskOwners
from omnirelay.families.suno.wire import SunoFamily
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine

__all__ = ["SunoQueries", "fetch_ids"]

_MAX_IDS = 1000
_ACTIONS = ("MUSIC", "LYRICS")


def fetch_ids(body: Any) -> tuple[list[str], str | None]:
    """``ids`` and the optional ``action`` filter of a ``POST /suno/fetch`` body."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object with an `ids` array.")
    ids = body.get("ids") or []
    if not isinstance(ids, list) or len(ids) > _MAX_IDS or not all(isinstance(i, str) for i in ids):
        raise InvalidRequest(f"ids must be an array of at most {_MAX_IDS} task ids (strings).", param="ids")
    action = body.get("action") or None
    if action is not None and action not in _ACTIONS:
        raise InvalidRequest("action must be MUSIC or LYRICS (or left out).", param="action")
    return list(dict.fromkeys(ids)), action


class SunoQueries:
    def __init__(self, *, engine: TaskEngine, owners: TaskOwners, family: SunoFamily) -> None:
        self._engine = engine
        self._owners = owners
        self._family = family

    async def fetch(self, task_id: str, caller: Caller) -> dict[str, Any]:
        record = await self._owners.task(task_id, caller)
        if record.action not in _ACTIONS:  # an upload's or a persona's row, not a task
            raise TaskNotExist(f"No task {task_id} of yours exists (or it has expired).")
        return self._family.task(record)

    async def fetch_many(self, ids: list[str], action: str | None, caller: Caller) -> list[dict[str, Any]]:
        records = await self._engine.read_many(ids, caller.key.account_id)
        order = {task_id: n for n, task_id in enumerate(ids)}
        wanted = (action,) if action is not None else _ACTIONS
        kept = [r for r in records if r.family == FAMILY and r.action in wanted]
        kept.sort(key=lambda r: order.get(r.id, 0))
        return [self._family.task(r) for r in kept]
