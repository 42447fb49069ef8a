"""Videos and images of Kling tasks, relayed from the upstream that made them.

Clients only ever see this gateway's signed links (``/kling/media/{task}/{video|image}/{n}``);
whoever holds one can open it without a key. The file is streamed through, never held whole.

The URL comes from the upstream's task JSON, so it is fetched only through the outbound guard
(:class:`~omnirelay.outbound.fetch.OutboundClient`): public hosts or ``outbound.allow_networks``,
every redirect hop checked, size capped, and only video or image types.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.kling.wire import FAMILY, MEDIA_FIELDS, MEDIA_LINK
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine

__all__ = ["KlingMedia"]

log = structlog.get_logger(__name__)

_MEDIA_TYPES = ("video/", "image/")


class KlingMedia:
    def __init__(self, *, engine: TaskEngine, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int) -> None:
        self._engine = engine
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes)

    async def open(
        self, task_id: str, word: str, n: int, signature: str, *, byte_range: str | None = None
    ) -> FetchedStream:
        """The task's ``n``-th video or image, as the upstream serves it now."""
        record = await self._engine.read(task_id)
        if record is None or record.family != FAMILY or not self._signer.verify(MEDIA_LINK, task_id, signature):
            raise NotFound(f"No Kling media {task_id} exists.")
        files = record.result.get(MEDIA_FIELDS.get(word, ""))
        item = files[n] if isinstance(files, list) and 0 <= n < len(files) else None
        url = item.get("url") if isinstance(item, Mapping) else None
        if not isinstance(url, str) or not url:
            raise NotFound(f"The task {task_id} has no {word} {n}.")
        try:
            return await self._fetcher.open(url, self._policy, byte_range=byte_range)
        except UpstreamError as exc:
            log.warning("upstream Kling media not relayed", task=task_id, channel=record.channel_id, reason=exc.message)
            raise
