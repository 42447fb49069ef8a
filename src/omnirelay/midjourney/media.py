"""Images and videos of Midjourney tasks, relayed from the upstream that made them.

Clients only ever see this gateway's signed links (``/mj/image/{id}``, ``/mj/video/{id}[/{n}]``);
whoever holds one can open it without a key. The file is streamed through, never held whole.

The URL comes from the upstream's task JSON, so it is checked before it is fetched: a file on
the channel's own host is trusted as the channel is; any other host must be public (or
allow-listed), so an upstream cannot make the gateway read from the operator's network.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import structlog

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.errors import NotFound, UpstreamError
from omnirelay.files.links import LinkSigner
from omnirelay.midjourney.upstream import MediaStream, MidjourneyMedia
from omnirelay.midjourney.wire import IMAGE_LINK, VIDEO_LINK
from omnirelay.providers.registry import capable
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import TaskRecord
from omnirelay.webhooks.destinations import DestinationRefused, Network, check_destination

__all__ = ["MediaLinks"]

log = structlog.get_logger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or "").lower(), port


def _clip(record: TaskRecord, n: int) -> dict[str, Any]:
    clips = record.result.get("videoUrls")
    if not isinstance(clips, list) or not 0 <= n < len(clips) or not isinstance(clips[n], dict):
        raise NotFound(f"The task {record.id} has no video {n}.", code="midjourney_video_not_found")
    clip: dict[str, Any] = clips[n]
    return clip


class MediaLinks:
    def __init__(
        self,
        *,
        engine: TaskEngine,
        catalog: Catalog,
        providers: dict[str, object],
        signer: LinkSigner,
        allowed_networks: Sequence[Network],
    ) -> None:
        self._engine = engine
        self._catalog = catalog
        self._providers = providers
        self._signer = signer
        self._allowed = allowed_networks

    async def image(self, task_id: str, signature: str) -> MediaStream:
        record = await self._signed(task_id, signature, IMAGE_LINK, "image")
        return await self._open(record, record.result.get("imageUrl"), "image")

    async def video(self, task_id: str, signature: str, n: int | None, *, thumbnail: bool = False) -> MediaStream:
        """The task's video (``n`` None), its ``n``-th clip, or that clip's thumbnail."""
        record = await self._signed(task_id, signature, VIDEO_LINK, "video")
        if n is None:
            return await self._open(record, record.result.get("videoUrl"), "video")
        clip = _clip(record, n)
        return await self._open(record, clip.get("thumbnail" if thumbnail else "url"), "video")

    async def _signed(self, task_id: str, signature: str, scope: str, kind: str) -> TaskRecord:
        record = await self._engine.read(task_id)
        if record is None or not self._signer.verify(scope, task_id, signature):
            raise NotFound(f"No {kind} {task_id} exists.", code="midjourney_task_not_found")
        return record

    async def _open(self, record: TaskRecord, url: object, kind: str) -> MediaStream:
        channel = self._catalog.snapshot.channels.get(record.channel_id or -1)
        media = capable(self._providers, channel.type, MidjourneyMedia) if channel else None
        if not isinstance(url, str) or not url or channel is None or media is None:
            raise NotFound(f"The task {record.id} has no {kind}.", code=f"midjourney_{kind}_not_found")
        await self._check(url, channel)
        return await media.open_media(channel, url)

    async def _check(self, url: str, channel: Channel) -> None:
        if _origin(url) == _origin(channel.base_url):
            return
        try:
            await check_destination(url, self._allowed)
        except DestinationRefused as exc:
            log.warning("upstream media link refused", channel=channel.id, reason=exc.message)
            raise UpstreamError(
                f"The upstream {channel.name} gave a file link on a private or unresolvable host; it is not fetched.",
                code="upstream_media_refused",
            ) from exc
