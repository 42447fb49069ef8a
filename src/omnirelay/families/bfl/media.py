"""The image of a ready BFL task, relayed from the upstream that made it.

Clients only ever see this gateway's signed link (``/bfl/media/{task}/sample.{jpeg|png}``); whoever
holds one can open it without a key. The file is streamed through, never held whole.

The URL comes from the upstream's result (BFL's ``sample``, a signed delivery URL valid about ten
minutes), so it is fetched only through the outbound guard
(:class:`~omnirelay.outbound.fetch.OutboundClient`): public hosts or ``outbound.allow_networks``,
every redirect hop checked, size capped, and only image types.
"""

from __future__ import annotations

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.bfl.wire import FAMILY, MEDIA_LINK
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status

__all__ = ["BflMedia"]

log = structlog.get_logger(__name__)


class BflMedia:
    def __init__(self, *, engine: TaskEngine, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int) -> None:
        self._engine = engine
        self._signer = signer
        self._fetcher = fetcher
        self._policy = FetchPolicy(("image/",), max_bytes)

    async def open(self, task_id: str, signature: str, *, byte_range: str | None = None) -> FetchedStream:
        """The task's image, as the upstream serves it now."""
        record = await self._engine.read(task_id)
        if record is None or record.family != FAMILY or not self._signer.verify(MEDIA_LINK, task_id, signature):
            raise NotFound(f"No BFL image {task_id} exists.")
        url = record.result.get("sample")
        if record.status != Status.SUCCESS or not isinstance(url, str) or not url:
            raise NotFound(f"The task {task_id} has no image.")
        try:
            return await self._fetcher.open(url, self._policy, byte_range=byte_range)
        except UpstreamError as exc:
            log.warning("upstream BFL image not relayed", task=task_id, channel=record.channel_id, reason=exc.message)
            raise
