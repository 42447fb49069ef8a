"""A relayed upstream file as an HTTP answer: streamed through, seekable when the upstream is.

Browsers seek in audio and video with ``Range`` requests. The gateway never cuts a file
itself (it would have to read it whole): it passes one well-formed byte range on to the
upstream and relays what comes back, a 206 with its ``Content-Range`` or the whole file
(200). A ``Range`` header it cannot pass on (another unit, several ranges, bad syntax) is
ignored, as HTTP allows, and the whole file is served.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Protocol

from starlette.requests import Request

from omnirelay.api.served_media import served_headers
from omnirelay.api.sse import SSEResponse

__all__ = ["MediaResponse", "RelayedFile", "asked_range"]

_ONE_RANGE = re.compile(r"bytes=(\d{1,19})-(\d{0,19})|bytes=-(\d{1,19})")


class RelayedFile(Protocol):
    """An upstream file opened by the outbound guard: its head checked, its body not yet read."""

    content_type: str
    length: int | None
    status: int
    """200, or 206 for a byte range."""
    content_range: str | None
    ranges: bool
    """The upstream serves byte ranges of it."""

    def chunks(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


def asked_range(request: Request) -> str | None:
    """The client's ``Range`` when it is one byte range the gateway passes on, else None (whole file)."""
    value = request.headers.get("range", "").replace(" ", "")
    match = _ONE_RANGE.fullmatch(value)
    if match is None:
        return None
    first, last, _ = match.groups()
    if first is not None and last and int(last) < int(first):
        return None  # syntactically invalid (RFC 9110 §14.1.1): ignored
    return value


class MediaResponse(SSEResponse):
    """The upstream file's bytes, served so they cannot run as a page here (:func:`served_headers`),
    plus the disconnect watch of :class:`SSEResponse`: a client that goes away stops the upstream read."""

    def __init__(self, stream: RelayedFile, name: str) -> None:
        super().__init__(_chunks(stream), stream.aclose, [])
        self.status = stream.status
        self._headers = served_headers(
            stream.content_type, stream.length, name, ranges=stream.ranges, content_range=stream.content_range
        )


async def _chunks(stream: RelayedFile) -> AsyncGenerator[bytes, None]:
    async for chunk in stream.chunks():
        if chunk:
            yield chunk
