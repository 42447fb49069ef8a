"""Result files of vendor tasks, relayed from the upstream that made them.

Clients only ever see this gateway's signed links (``/v1/tasks/{task}/files/{field}``); whoever
holds one can open it without a key. The file is streamed through, never held whole, and fetched
only through the outbound guard (public hosts or ``outbound.allow_networks``, every redirect hop
checked, size capped), of the media types the vendor's result field allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from omnirelay.errors import NotFound, UpstreamError
from omnirelay.families.task_vendor.book import VendorBook
from omnirelay.families.task_vendor.config import ResultField
from omnirelay.families.task_vendor.wire import FAMILY, FILE_LINK
from omnirelay.files.links import LinkSigner
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.tasks.engine import TaskEngine

__all__ = ["VendorFiles"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class _DeclaredTypes(FetchPolicy):
    """Type prefixes, plus exact types the vendor declared (an office document's type names xml)."""

    exact: tuple[str, ...] = ()

    def accepts(self, media_type: str) -> bool:
        return media_type in self.exact or FetchPolicy.accepts(self, media_type)


def _policy(field: ResultField, max_bytes: int) -> FetchPolicy:
    prefixes = tuple(t for t in field.content_types if t.endswith("/"))
    exact = tuple(t for t in field.content_types if not t.endswith("/"))
    return _DeclaredTypes(prefixes, max_bytes, exact=exact)


class VendorFiles:
    def __init__(
        self, *, engine: TaskEngine, book: VendorBook, signer: LinkSigner, fetcher: OutboundClient, max_bytes: int
    ) -> None:
        self._engine = engine
        self._book = book
        self._signer = signer
        self._fetcher = fetcher
        self._max_bytes = max_bytes

    async def open(self, task_id: str, field: str, signature: str, *, byte_range: str | None = None) -> FetchedStream:
        """The task's file ``field``, as the upstream serves it now."""
        record = await self._engine.read(task_id) if task_id.startswith("task_") else None
        if record is None or record.family != FAMILY or not self._signer.verify(FILE_LINK, task_id, signature):
            raise NotFound(f"No task file {task_id}/{field} exists.")
        files = record.result.get("files")
        url = files.get(field) if isinstance(files, dict) else None
        vendor = (await self._book.current()).by_name.get(str(record.request.get("vendor")))
        spec = vendor.poll.result.get(field) if vendor is not None else None
        if not isinstance(url, str) or spec is None:
            raise NotFound(f"The task {task_id} has no file {field}.")
        try:
            return await self._fetcher.open(url, _policy(spec, self._max_bytes), byte_range=byte_range)
        except UpstreamError as exc:
            log.warning("upstream task file not relayed", task=task_id, channel=record.channel_id, reason=exc.message)
            raise
