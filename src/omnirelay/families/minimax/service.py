"""The MiniMax family's operations: create (hold, start on a MiniMax channel, store), query, file retrieve.

Only the caller's own tasks are found; any other id answers MiniMax's invalid-parameter error, so
ids reveal nothing.
"""

from __future__ import annotations

import secrets
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.errors import NotFound
from omnirelay.families.minimax.creates import parse_create
from omnirelay.families.minimax.upstream import MiniMaxUpstream
from omnirelay.families.minimax.wire import FAMILY, MiniMaxFamily, success
from omnirelay.providers.video import VideoJob
from omnirelay.relay.auth import Caller
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.tasks.video_jobs import VideoStarter, VideoTask
from omnirelay.tasks.video_media import VideoLinks
from omnirelay.webhooks.destinations import Network, check_destination

__all__ = ["MiniMaxService"]

_FILENAME = "output_aigc.mp4"


async def _make(provider: MiniMaxUpstream, channel: Channel, job: VideoJob) -> str:
    return await provider.make_minimax_video(channel, job)


class MiniMaxService:
    def __init__(
        self,
        *,
        starter: VideoStarter,
        engine: TaskEngine,
        family: MiniMaxFamily,
        links: VideoLinks,
        allowed_networks: tuple[Network, ...],
    ) -> None:
        self._starter = starter
        self._engine = engine
        self._family = family
        self._links = links
        self._allowed = allowed_networks

    async def create(self, body: object, caller: Caller, endpoint: str) -> dict[str, Any]:
        create = parse_create(body)
        if create.callback_url:
            await check_destination(create.callback_url, self._allowed)
        task = VideoTask(
            task_id=str(10**17 + secrets.randbelow(9 * 10**17)),
            family=FAMILY,
            endpoint=endpoint,
            caller=caller,
            model=create.model,
            job=VideoJob(create.model, create.prompt, extra=create.extra),
            price_names=create.price_names,
            request={"duration": create.duration},
            notify_url=create.callback_url,
        )
        record = await self._starter.start(task, MiniMaxUpstream, _make)
        return success({"task_id": record.id})

    async def _mine(self, task_id: str, caller: Caller) -> TaskRecord:
        record = await self._engine.read(task_id) if task_id.isdigit() else None
        if record is None or record.family != FAMILY or record.account_id != caller.key.account_id:
            raise NotFound(f"No video generation task {task_id} of yours exists.", param="task_id")
        return record

    async def query(self, task_id: str, caller: Caller) -> dict[str, Any]:
        return self._family.render(await self._mine(task_id, caller))

    async def file(self, file_id: str, caller: Caller, base_url: str) -> dict[str, Any]:
        """The file of a succeeded task (its ``file_id`` is its task id); ``download_url`` a signed gateway link."""
        record = await self._mine(file_id, caller)
        if record.status != Status.SUCCESS:
            raise NotFound(f"No file {file_id} exists yet: its task has not succeeded.", param="file_id")
        file = {
            "file_id": int(record.id),
            "bytes": 0,
            "created_at": (record.finish_time or record.updated_at) // 1000,
            "filename": _FILENAME,
            "purpose": "video_generation",
            "download_url": self._links.url(base_url, record.id, "video"),
        }
        return success({"file": file})
