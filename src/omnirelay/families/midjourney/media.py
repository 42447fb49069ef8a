"""Images and videos of Midjourney tasks, relayed from the upstream that made them.

Clients only ever see this gateway's signed links (``/mj/image/{id}``, ``/mj/video/{id}[/{n}]``);
whoever holds one can open it without a key. The file is streamed through, never held whole.

The URL comes from the upstream's task JSON, so it is fetched only through the outbound guard
(:class:`~omnirelay.outbound.fetch.OutboundClient`): public hosts or ``outbound.allow_networks``
(the channel's own host included), every redirect hop checked, size and decompression capped,
and only image or video types, which the edge serves as such (``api/served_media.py``).
"""

from __future__ import annotations

from typing import Any

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.midjourney.upstream import MediaStream
from omnirelay.families.midjourney.wire import IMAGE_LINK, VIDEO_LINK
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import TaskRecord

__all__ = ["MediaLinks"]

log = structlog.get_logger(__name__)

_MEDIA_TYPES = ("image/", "video/")
"""What a task's links may hold (a VIDEO task's ``imageUrl`` is its first clip)."""


def _clip(record: TaskRecord, n: int) -> dict[str, Any]:
    clips = record.result.get("videoUrls")
    if not isinstance(clips, list) or not 0 <= n < len(clips) or not isinstance(clips[n], dict):
        raise NotFound(f"The task {record.id} has no video {n}.", code="midjourney_video_not_found")
    clip: dict[str, Any] = clips[n]
    return clip


class MediaLinks:
    def __init__(self, *, engine: TaskEngine, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int) -> None:
        self._engine = engine
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes)

    async def image(self, task_id: str, signature: str) -> MediaStream:
        record = await self._signed(task_id, signature, IMAGE_LINK, "image")
        return await self._open(record, record.result.get("imageUrl"), "image")

    async def video(
        self, task_id: str, signature: str, n: int | None, *, thumbnail: bool = False, byte_range: str | None = None
    ) -> MediaStream:
        """The task's video (``n`` None), its ``n``-th clip, or that clip's thumbnail; ``byte_range``
        (a client's ``Range``) is passed on to the upstream."""
        record = await self._signed(task_id, signature, VIDEO_LINK, "video")
        if n is None:
            return await self._open(record, record.result.get("videoUrl"), "video", byte_range)
        clip = _clip(record, n)
        return await self._open(record, clip.get("thumbnail" if thumbnail else "url"), "video", byte_range)

    async def _signed(self, task_id: str, signature: str, scope: str, kind: str) -> TaskRecord:
        record = await self._engine.read(task_id)
        if record is None or not self._signer.verify(scope, task_id, signature):
            raise NotFound(f"No {kind} {task_id} exists.", code="midjourney_task_not_found")
        return record

    async def _open(self, record: TaskRecord, url: object, kind: str, byte_range: str | None = None) -> MediaStream:
        if not isinstance(url, str) or not url:
            raise NotFound(f"The task {record.id} has no {kind}.", code=f"midjourney_{kind}_not_found")
        try:
            return await self._fetcher.open(url, self._policy, byte_range=byte_range)
        except UpstreamError as exc:
            log.warning(
                "upstream media link not relayed", task=record.id, channel=record.channel_id, reason=exc.message
            )
            raise
