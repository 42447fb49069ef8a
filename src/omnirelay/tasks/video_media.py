"""The files of any video task, served by the gateway: its video, its cover, streamed through.

Whoever holds a link made by :class:`VideoLinks` fetches the file without a key
(``/v1/video/generations/{task_id}/content?variant=video&sig=...``); the ``/v1/videos``
ingress serves the same files to the key that made them. The upstream's URL comes from the
task's result (:mod:`omnirelay.providers.video`), so it is fetched only through the outbound
guard: public hosts or ``outbound.allow_networks``, every redirect checked, size capped, only
video and image types. A ``Range`` is passed on, so players can seek. Where the channel's provider
is a :class:`~omnirelay.providers.video.VideoSourcer` (MiniMax: its links expire; another gateway: its
links need the key), it is asked at each download where the file is now.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.catalog import Catalog
from omnirelay.errors import NotFound, UpstreamError
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.providers.registry import capable
from omnirelay.providers.video import VideoSource, VideoSourcer
from omnirelay.tasks.model import TaskRecord
from omnirelay.tasks.video_tasks import DELETED_KEY, first_video

__all__ = ["LINK_KEY_PURPOSE", "LINK_SCOPE", "VARIANTS", "VideoFiles", "VideoLinks", "upstream_url"]

LINK_KEY_PURPOSE = "video-links"
"""What every family that signs video links derives its key for (``box.derive_key``): one key, one route."""
LINK_SCOPE = "video-content"
VARIANTS = {"video": "url", "thumbnail": "cover_url"}
"""A variant asked for, and the key of the task's first video that holds its upstream URL."""
_MEDIA_TYPES = ("video/", "image/")

log = structlog.get_logger(__name__)


class VideoLinks:
    """Signed, keyless links to a video task's files."""

    def __init__(self, signer: LinkSigner) -> None:
        self._signer = signer

    def url(self, base_url: str, task_id: str, variant: str = "video") -> str:
        signature = self._signer.sign(LINK_SCOPE, f"{task_id}/{variant}")
        return f"{base_url.rstrip('/')}/v1/video/generations/{task_id}/content?variant={variant}&sig={signature}"

    def verify(self, task_id: str, variant: str, signature: str) -> bool:
        return self._signer.verify(LINK_SCOPE, f"{task_id}/{variant}", signature)


def upstream_url(record: TaskRecord, variant: str) -> str | None:
    """The upstream's URL of ``variant`` of a task, or None when it has none (yet)."""
    video = first_video(record)
    url = video.get(VARIANTS.get(variant, "")) if video is not None else None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


class VideoFiles:
    def __init__(
        self,
        fetcher: OutboundClient,
        max_bytes: int,
        *,
        catalog: Catalog | None = None,
        providers: Mapping[str, object] | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes)
        self._catalog = catalog
        self._providers = providers or {}

    async def open(self, record: TaskRecord, variant: str, *, byte_range: str | None = None) -> FetchedStream:
        """The task's ``variant`` (``video`` or ``thumbnail``) as the upstream serves it now; NotFound if none."""
        if variant not in VARIANTS:
            raise NotFound(f"No content variant {variant!r}; use video or thumbnail.")
        url = upstream_url(record, variant) if not record.result.get(DELETED_KEY) else None
        if url is None:
            raise NotFound(f"The video {record.id} has no {variant} to download.")
        source = await self._source(record, variant) or VideoSource(url)
        return await self._fetcher.open(source.url, self._policy, byte_range=byte_range, headers=source.headers)

    async def _source(self, record: TaskRecord, variant: str) -> VideoSource | None:
        """Where the channel's provider says the file is now (a fresh link, its key); None: the stored link."""
        channels = self._catalog.snapshot.channels if self._catalog is not None else {}
        channel = channels.get(record.channel_id) if record.channel_id is not None else None
        sourcer = capable(self._providers, channel.type, VideoSourcer) if channel is not None else None
        if channel is None or sourcer is None or not record.upstream_id:
            return None
        try:
            return await sourcer.video_source(channel, record.upstream_id, record.result, variant)
        except UpstreamError as exc:  # the stored link may still work: try it rather than fail here
            log.warning("fresh video link not found", task=record.id, channel=channel.name, error=exc.message)
            return None
