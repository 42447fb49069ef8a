"""Seedance results relayed from the upstream that made them: the video and its last frame.

Clients only ever see this gateway's signed links (``/ark/media/{task}/{video|last_frame}``);
whoever holds one can open it without a key. The file is streamed through, never held whole,
and a ``Range`` is passed on. The URL comes from the upstream's task JSON, so it is fetched only
through the outbound guard (:class:`~omnirelay.outbound.fetch.OutboundClient`).
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.ark.wire import FAMILY, MEDIA_LINK, MEDIA_WORDS, is_deleted
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine

__all__ = ["SeedanceMedia"]

log = structlog.get_logger(__name__)

_MEDIA_TYPES = ("video/", "image/")


class SeedanceMedia:
    def __init__(self, *, engine: TaskEngine, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int) -> None:
        self._engine = engine
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes)

    async def open(self, task_id: str, word: str, signature: str, *, byte_range: str | None = None) -> FetchedStream:
        """The task's video or last frame, as the upstream serves it now."""
        record = await self._engine.read(task_id)
        if (
            record is None
            or record.family != FAMILY
            or is_deleted(record)
            or not self._signer.verify(MEDIA_LINK, task_id, signature)
        ):
            raise NotFound(f"No Seedance media {task_id} exists.")
        videos = record.result.get("videos")
        video = videos[0] if isinstance(videos, list) and videos else None
        url = video.get(MEDIA_WORDS.get(word, "")) if isinstance(video, Mapping) else None
        if not isinstance(url, str) or not url:
            raise NotFound(f"The task {task_id} has no {word}.")
        try:
            return await self._fetcher.open(url, self._policy, byte_range=byte_range)
        except UpstreamError as exc:
            log.warning(
                "upstream Seedance media not relayed", task=task_id, channel=record.channel_id, reason=exc.message
            )
            raise
