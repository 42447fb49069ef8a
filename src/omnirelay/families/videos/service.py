"""The ``/v1/videos`` operations: create on whichever video channel serves the model, then read,
list, download and delete the caller's own videos. Only the caller's videos are ever found:
any other id (unknown, another account's, another family's, deleted) is a 404.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.videos.creates import VideoCreate
from omnirelay.families.videos.wire import FAMILY, VideosFamily
from omnirelay.outbound.fetch import FetchedStream
from omnirelay.providers.video import VideoJob, VideoMaker
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.tasks.video_jobs import VideoStarter, VideoTask, price_names
from omnirelay.tasks.video_media import VideoFiles
from omnirelay.tasks.video_tasks import DELETED_KEY

__all__ = ["ListQuery", "VideosService"]

_SCAN = 200
_MAX_SCANNED = 5000


@dataclass(frozen=True, slots=True)
class ListQuery:
    limit: int = 20
    order: str = "desc"
    after: str | None = None


async def _make(provider: VideoMaker, channel: Channel, job: VideoJob) -> str:
    return await provider.make_video(channel, job)


class VideosService:
    def __init__(self, *, starter: VideoStarter, engine: TaskEngine, family: VideosFamily, files: VideoFiles) -> None:
        self._starter = starter
        self._engine = engine
        self._family = family
        self._files = files

    async def create(self, create: VideoCreate, caller: Caller) -> dict[str, Any]:
        seconds = int(create.seconds) if create.seconds else None
        task = VideoTask(
            task_id=f"video_{secrets.token_hex(16)}",
            family=FAMILY,
            endpoint="/v1/videos",
            caller=caller,
            model=create.model,
            job=VideoJob(create.model, create.prompt, seconds, create.size, create.image, create.extra),
            price_names=price_names(create.model, create.size, create.seconds),
            request={"prompt": create.prompt, "size": create.size, "seconds": create.seconds},
        )
        return self._family.render(await self._starter.start(task, VideoMaker, _make))

    async def _mine(self, video_id: str, caller: Caller) -> TaskRecord:
        record = await self._engine.read(video_id) if video_id.startswith("video_") else None
        if (
            record is None
            or record.family != FAMILY
            or record.account_id != caller.key.account_id
            or record.result.get(DELETED_KEY)
        ):
            raise NotFound(f"No video found with id '{video_id}'.", param="video_id")
        return record

    async def get(self, video_id: str, caller: Caller) -> dict[str, Any]:
        return self._family.render(await self._mine(video_id, caller))

    async def delete(self, video_id: str, caller: Caller) -> dict[str, Any]:
        """Forget a finished video (its files are no longer served); a video still being made is a 400."""
        record = await self._mine(video_id, caller)
        if not record.finished:
            raise InvalidRequest("Only a completed or failed video can be deleted.", param="video_id")
        after = record.replace(result={**record.result, DELETED_KEY: True}, version=record.version + 1)
        if not await self._engine.commit([(record, after)]):
            raise InvalidRequest("The video changed while it was being deleted; try again.", param="video_id")
        return {"id": video_id, "object": "video.deleted", "deleted": True}

    async def content(
        self, video_id: str, caller: Caller, variant: str, byte_range: str | None
    ) -> tuple[FetchedStream, str]:
        record = await self._mine(video_id, caller)
        if record.status != Status.SUCCESS:
            raise NotFound(f"The video '{video_id}' is not completed; it has no content yet.", param="video_id")
        return await self._files.open(record, variant, byte_range=byte_range), f"{video_id}-{variant}"

    async def remix(self, video_id: str, caller: Caller) -> dict[str, Any]:
        record = await self._mine(video_id, caller)
        raise InvalidRequest(
            f"Remix is not supported: the upstream that made '{record.id}' ({record.model}) cannot remix videos.",
            param="video_id",
            code="remix_not_supported",
        )

    async def listing(self, caller: Caller, query: ListQuery) -> dict[str, Any]:
        records = await self._listed(caller, query)
        shown = records[: query.limit]
        data = [self._family.render(r) for r in shown]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": len(records) > query.limit,
        }

    async def _listed(self, caller: Caller, query: ListQuery) -> list[TaskRecord]:
        """Up to ``limit + 1`` of the caller's videos after ``after`` in ``order`` (one more tells ``has_more``)."""
        account = caller.key.account_id
        cursor = await self._mine(query.after, caller) if query.after else None
        if query.order == "asc":
            rows = await self._engine.store.of_account(
                account, FAMILY, waiting=False, newest_first=False, limit=_MAX_SCANNED
            )
            if cursor is not None:
                rows = [r for r in rows if (r.submit_time, r.id) > (cursor.submit_time, cursor.id)]
            return [r for r in rows if not r.result.get(DELETED_KEY)][: query.limit + 1]
        kept: list[TaskRecord] = []
        before = (cursor.submit_time, cursor.id) if cursor is not None else None
        for _ in range(_MAX_SCANNED // _SCAN):
            rows = await self._engine.store.page(account, FAMILY, before=before, limit=_SCAN)
            kept += [r for r in rows if not r.result.get(DELETED_KEY)]
            if len(rows) < _SCAN or len(kept) > query.limit:
                break
            before = (rows[-1].submit_time, rows[-1].id)
        return kept[: query.limit + 1]
