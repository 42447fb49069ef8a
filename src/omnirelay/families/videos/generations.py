"""The unified video query: one normalised object for a video task of any family (Kling, ``/v1/videos``,
MiniMax, Seedance...), read from the engine's store, never from a family's code.

A task is a video when its family says so (:class:`~omnirelay.tasks.video_tasks.VideoFamily`) or,
for other families, when its result holds ``videos``. The object::

    {"id", "object": "video.generation", "family", "model",
     "status": "queued" | "in_progress" | "completed" | "failed", "progress",
     "created_at", "completed_at",            # unix seconds; completed_at once finished
     "seconds", "size",                       # asked, else what was made; or null
     "video_url", "cover_url",                # signed gateway links once completed (cover: when the upstream made one)
     "error": null | {"code", "message"}}

The list (``GET /v1/video/generations``) holds the caller's tasks of every video family, newest first,
as ``{"object": "list", "data", "first_id", "last_id", "has_more"}``, paged with ``after`` (a task id).
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import NotFound
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.tasks.video_media import VideoLinks, upstream_url
from omnirelay.tasks.video_tasks import VideoFamily, is_video, neutral_status, seconds_of, size_of

__all__ = ["VideoGenerations"]

_SCAN = 200
_MAX_SCANNED = 5000


def _seconds(ms: int | None) -> int | None:
    return ms // 1000 if ms else None


class VideoGenerations:
    def __init__(self, *, engine: TaskEngine, links: VideoLinks) -> None:
        self._engine = engine
        self._links = links

    def _is_video(self, record: TaskRecord) -> bool:
        return is_video(record, self._engine.families().get(record.family))

    async def mine(self, task_id: str, caller: Caller) -> TaskRecord:
        """The caller's video task ``task_id``; NotFound for any other id."""
        record = await self._engine.read(task_id)
        if record is None or record.account_id != caller.key.account_id or not self._is_video(record):
            raise NotFound(f"No video task {task_id} of yours exists.", param="task_id")
        return record

    def render(self, record: TaskRecord, base_url: str) -> dict[str, Any]:
        done = record.status == Status.SUCCESS
        failed = record.finished and not done

        def link(variant: str) -> str | None:
            has = done and upstream_url(record, variant) is not None
            return self._links.url(base_url, record.id, variant) if has else None

        return {
            "id": record.id,
            "object": "video.generation",
            "family": record.family,
            "model": record.model,
            "status": neutral_status(record),
            "progress": record.progress,
            "created_at": _seconds(record.submit_time),
            "completed_at": _seconds(record.finish_time) if record.finished else None,
            "seconds": seconds_of(record),
            "size": size_of(record),
            "video_url": link("video"),
            "cover_url": link("thumbnail"),
            "error": {"code": "video_generation_failed", "message": record.fail_reason or ""} if failed else None,
        }

    async def get(self, task_id: str, caller: Caller, base_url: str) -> dict[str, Any]:
        return self.render(await self.mine(task_id, caller), base_url)

    async def listing(self, caller: Caller, limit: int, after: str | None, base_url: str) -> dict[str, Any]:
        cursor = await self.mine(after, caller) if after else None
        before = (cursor.submit_time, cursor.id) if cursor is not None else None
        found: list[TaskRecord] = []
        for family in self._engine.families().values():
            if isinstance(family, VideoFamily):
                found += await self._family_page(caller.key.account_id, family, before, limit + 1)
        found.sort(key=lambda r: (r.submit_time, r.id), reverse=True)
        data = [self.render(r, base_url) for r in found[:limit]]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(found) > limit,
        }

    async def _family_page(
        self, account: int, family: VideoFamily, before: tuple[int, str] | None, wanted: int
    ) -> list[TaskRecord]:
        """Up to ``wanted`` of the account's video tasks of ``family`` older than ``before``, newest first."""
        kept: list[TaskRecord] = []
        for _ in range(_MAX_SCANNED // _SCAN):
            rows = await self._engine.store.page(account, family.name, before=before, limit=_SCAN)
            kept += [r for r in rows if is_video(r, family)]
            if len(rows) < _SCAN or len(kept) >= wanted:
                break
            before = (rows[-1].submit_time, rows[-1].id)
        return kept[:wanted]
