"""Reading tasks back (fetch, list by ids, image seed) and taking in upstream progress reports.

A progress report (callback) names its task in its URL, with that task's token; it only makes
the engine poll the upstream for the task now (:meth:`~omnirelay.tasks.engine.TaskEngine.poll_soon`):
what the report itself says is never applied.

Queries are never billed. Images and videos are relayed by :mod:`omnirelay.families.midjourney.media`;
an account's recent and waiting tasks are listed by :mod:`omnirelay.families.midjourney.listing`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from omnirelay.catalog import Catalog
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.midjourney.upstream import ImageSeeds, MidjourneyCallbacks
from omnirelay.families.midjourney.wire import MidjourneyFamily, envelope
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.tasks.callback_tokens import CallbackTokens
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["MidjourneyQueries", "owned", "task_ids"]


def owned(record: TaskRecord | None, task_id: str | None, caller: Caller) -> TaskRecord:
    """``record`` when it is a Midjourney task of the caller's account, else 404 (code 3)."""
    if record is None or record.account_id != caller.key.account_id or record.family != MidjourneyFamily.name:
        raise NotFound(f"No task {task_id} of yours exists (or it has expired).", code="task_not_found")
    return record


def task_ids(body: Any) -> list[str]:
    """``ids`` of a list-by-condition body, given as strings or numbers."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object with an `ids` array.")
    ids = body.get("ids") or []
    if not isinstance(ids, list) or len(ids) > 1000:
        raise InvalidRequest("ids must be an array of at most 1000 task ids.", param="ids")
    found: list[str] = []
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise InvalidRequest("Each id must be a string or a number.", param="ids")
        found.append(str(value))
    return found


class MidjourneyQueries:
    def __init__(
        self,
        *,
        engine: TaskEngine,
        catalog: Catalog,
        providers: Mapping[str, object],
        family: MidjourneyFamily,
        callbacks: CallbackTokens,
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._providers = providers
        self._family = family
        self._callbacks = callbacks

    async def _own(self, task_id: str, caller: Caller) -> TaskRecord:
        return owned(await self._engine.read(task_id), task_id, caller)

    async def fetch(self, task_id: str, caller: Caller) -> dict[str, Any]:
        return self._family.render(await self._own(task_id, caller))

    async def list(self, ids: Sequence[str], caller: Caller) -> list[dict[str, Any]]:
        records = await self._engine.read_many(ids, caller.key.account_id)
        order = {task_id: i for i, task_id in enumerate(ids)}
        records = [r for r in records if r.family == MidjourneyFamily.name]
        records.sort(key=lambda r: order.get(r.id, 0))
        return [self._family.render(r) for r in records]

    async def image_seed(self, task_id: str, caller: Caller) -> dict[str, Any]:
        record = await self._own(task_id, caller)
        if record.status != Status.SUCCESS:
            raise InvalidRequest(f"The task {task_id} has not succeeded, so it has no seed yet.")
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        seeds = capable(self._providers, channel.type, ImageSeeds) if channel else None
        if channel is None or seeds is None or record.upstream_id is None:
            raise NotFound(f"No seed is known for task {task_id}.", code="seed_not_found")
        answer = await seeds.image_seed(channel, record.upstream_id)
        return envelope(answer.code, answer.description, answer.result)

    async def callback(self, task_id: str, token: str, body: bytes) -> bool:
        """A progress report from the upstream of ``task_id``; True when it made the engine poll the task."""
        record = await self._engine.store.get(task_id) if self._callbacks.verify(task_id, token) else None
        if record is None or record.family != MidjourneyFamily.name:
            raise NotFound("Unknown callback URL.")
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        parser = capable(self._providers, channel.type, MidjourneyCallbacks) if channel else None
        if parser is None or parser.parse_callback(body) is None:
            raise InvalidRequest("The callback body is not a Midjourney task.")
        return self._engine.poll_soon(record)
