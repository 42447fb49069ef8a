"""Audio, video and cover art of Suno clips, relayed from the upstream that made them.

Clients only ever see this gateway's signed links (``/suno/media/{task}/{n}/{kind}`` for the
clips' own files, ``/suno/media/act/{task}/{clip}/{wav|mp4}`` for the ``act`` exports); whoever
holds one can open it without a key. The file is streamed through, never held whole, and a
client's byte range (seeking) is passed on to the upstream.

The URL comes from the upstream's task JSON, so it is fetched only through the outbound guard
(:class:`~omnirelay.outbound.fetch.OutboundClient`): public hosts or ``outbound.allow_networks``,
every redirect hop checked, size capped, and only audio, video or image types.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.suno.act import FILE_FIELDS, ActCalls
from omnirelay.families.suno.owners import FAMILY, has_clip
from omnirelay.families.suno.wire import MEDIA_KINDS, MEDIA_LINK
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import TaskRecord

__all__ = ["SunoMedia"]

log = structlog.get_logger(__name__)

_MEDIA_TYPES = ("audio/", "video/", "image/")


class SunoMedia:
    def __init__(
        self, *, engine: TaskEngine, signer: LinkSigner, act: ActCalls, fetcher: OutboundClient, max_bytes: int
    ) -> None:
        self._engine = engine
        self._act = act
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes)

    async def open(
        self, task_id: str, n: int, kind: str, signature: str, byte_range: str | None = None
    ) -> FetchedStream:
        """Clip ``n`` of the task's ``kind`` (audio, video, image, image_large) as the upstream serves it now;
        ``byte_range`` (a client's ``Range``, for seeking) is passed on to the upstream."""
        record = await self._engine.read(task_id)
        if record is None or record.family != FAMILY or not self._signer.verify(MEDIA_LINK, task_id, signature):
            raise NotFound(f"No Suno media {task_id} exists.", code="task_not_exist")
        clips = record.result.get("data")
        clip = clips[n] if isinstance(clips, list) and 0 <= n < len(clips) else None
        url = clip.get(MEDIA_KINDS[kind]) if isinstance(clip, Mapping) and kind in MEDIA_KINDS else None
        if not isinstance(url, str) or not url:
            raise NotFound(f"The task {task_id} has no {kind} for clip {n}.", code="task_not_exist")
        return await self._relay(record, url, byte_range)

    async def open_act(
        self, task_id: str, clip_id: str, kind: str, signature: str, byte_range: str | None = None
    ) -> FetchedStream:
        """The WAV or MP4 of a clip (``/suno/act/wav|mp4`` links): the upstream is asked for its URL again now."""
        record = await self._engine.read(task_id)
        signed = kind in FILE_FIELDS and self._act.verify(task_id, clip_id, kind, signature)
        if record is None or record.family != FAMILY or not signed or not has_clip(record, clip_id):
            raise NotFound(f"No Suno media {task_id} exists.", code="task_not_exist")
        url = await self._act.upstream_file(record, clip_id, "wav" if kind == "wav" else "mp4")
        if url is None:
            raise NotFound(f"The upstream has no {kind} of clip {clip_id} (yet).", code="task_not_exist")
        return await self._relay(record, url, byte_range)

    async def _relay(self, record: TaskRecord, url: str, byte_range: str | None) -> FetchedStream:
        try:
            return await self._fetcher.open(url, self._policy, byte_range=byte_range)
        except UpstreamError as exc:
            log.warning(
                "upstream Suno media not relayed", task=record.id, channel=record.channel_id, reason=exc.message
            )
            raise
