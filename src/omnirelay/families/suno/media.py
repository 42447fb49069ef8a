"""Audio, video and cover art of Suno clips, relayed from the upstream that made them.

Clients only ever see this gateway's signed links (``/suno/media/{task}/{n}/{kind}``); whoever
holds one can open it without a key. The file is streamed through, never held whole.

The URL comes from the upstream's task JSON, so it is fetched only through the outbound guard
(:class:`~omnirelay.outbound.fetch.OutboundClient`): public hosts or ``outbound.allow_networks``,
every redirect hop checked, size capped, and only audio, video or image types.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.suno.owners import FAMILY
from omnirelay.families.suno.wire import MEDIA_KINDS, MEDIA_LINK
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine

__all__ = ["SunoMedia"]

log = structlog.get_logger(__name__)

_MEDIA_TYPES = ("audio/", "video/", "image/")


class SunoMedia:
    def __init__(self, *, engine: TaskEngine, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int) -> None:
        self._engine = engine
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes)

    async def open(self, task_id: str, n: int, kind: str, signature: str) -> FetchedStream:
        """Clip ``n`` of the task's ``kind`` (audio, video, image, image_large) as the upstream serves it now."""
        record = await self._engine.read(task_id)
        if record is None or record.family != FAMILY or not self._signer.verify(MEDIA_LINK, task_id, signature):
            raise NotFound(f"No Suno media {task_id} exists.", code="task_not_exist")
        clips = record.result.get("data")
        clip = clips[n] if isinstance(clips, list) and 0 <= n < len(clips) else None
        url = clip.get(MEDIA_KINDS[kind]) if isinstance(clip, Mapping) and kind in MEDIA_KINDS else None
        if not isinstance(url, str) or not url:
            raise NotFound(f"The task {task_id} has no {kind} for clip {n}.", code="task_not_exist")
        try:
            return await self._fetcher.open(url, self._policy)
        except UpstreamError as exc:
            log.warning("upstream Suno media not relayed", task=task_id, channel=record.channel_id, reason=exc.message)
            raise
