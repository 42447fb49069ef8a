"""Output files of predictions, relayed from the upstream that made them (``/replicate/files/{id}/{n}``).

Clients only ever see these signed links in ``output``; whoever holds one can open it without
a key, and nobody can forge one for another prediction. The upstream's URL (``replicate.delivery``
or wherever the upstream serves files) comes from its prediction JSON, so it is fetched only
through the outbound guard and streamed through, never held whole. Types that could run as a
page on this origin (HTML, SVG, XML) are never relayed (see ``outbound/fetch.py``).
"""

from __future__ import annotations

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.replicate.outputs import file_urls
from omnirelay.families.replicate.wire import FILE_LINK, prediction
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine

__all__ = ["OutputFiles"]

log = structlog.get_logger(__name__)

_MEDIA_TYPES = ("image/", "video/", "audio/")


class OutputFiles:
    def __init__(self, *, engine: TaskEngine, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int) -> None:
        self._engine = engine
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(_MEDIA_TYPES, max_bytes, svg=True)  # recraft-v3-svg answers vectors

    async def open(self, task_id: str, n: int, signature: str, *, byte_range: str | None = None) -> FetchedStream:
        record = await self._engine.read(task_id)
        if record is None or not self._signer.verify(FILE_LINK, f"{task_id}.{n}", signature):
            raise NotFound(f"No file {n} of prediction {task_id} exists.", code="file_not_found")
        urls = file_urls(prediction(record).get("output"))
        if not 0 <= n < len(urls):
            raise NotFound(f"The prediction {task_id} has no file {n}.", code="file_not_found")
        try:
            return await self._fetcher.open(urls[n], self._policy, byte_range=byte_range)
        except UpstreamError as exc:
            log.warning("upstream output file not relayed", task=task_id, channel=record.channel_id, reason=exc.message)
            raise
