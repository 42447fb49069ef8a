"""Undoing ``Content-Encoding`` of a fetched body, bounded: no gzip bomb gets past it.

Sessions of the guard never decompress on their own (``auto_decompress=False``). When an
upstream compresses anyway (it was asked for ``identity``), the body is inflated here with
a cap on the output of each step, the total, and the ratio of inflated to received bytes.
"""

from __future__ import annotations

import zlib

from omnirelay.outbound.guard import OutboundRefused

__all__ = ["BodyDecoder", "decoder_for"]

_SLACK = 64 * 1024
"""Inflated bytes allowed on top of the ratio (the first chunks of a small body)."""
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BodyDecoder:
    """Counts (and, for gzip or deflate, inflates) a body, refusing it once it passes a cap."""

    def __init__(self, encoding: str, *, max_bytes: int, max_ratio: int) -> None:
        self._inflate = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
        self._max_bytes = max_bytes
        self._max_ratio = max_ratio
        self.received = 0
        self.produced = 0

    def feed(self, chunk: bytes) -> bytes:
        self.received += len(chunk)
        if self._inflate is None:
            self._count(len(chunk))
            return chunk
        out: list[bytes] = []
        data = chunk
        while data:
            room = self._room()
            piece = self._inflate.decompress(data, room + 1)
            self._count(len(piece))
            out.append(piece)
            data = self._inflate.unconsumed_tail
        return b"".join(out)

    def finish(self) -> bytes:
        if self._inflate is None:
            return b""
        piece = self._inflate.flush(self._room() + 1)
        self._count(len(piece))
        return piece

    def _room(self) -> int:
        ratio_room = self._max_ratio * self.received + _SLACK if self._inflate is not None else self._max_bytes
        return max(0, min(self._max_bytes, ratio_room) - self.produced)

    def _count(self, n: int) -> None:
        self.produced += n
        if self.produced > self._max_bytes:
            raise OutboundRefused(f"the body is larger than the {self._max_bytes}-byte limit")
        if self._inflate is not None and self.produced > self._max_ratio * self.received + _SLACK:
            raise OutboundRefused(
                f"the body inflates more than {self._max_ratio} times (a decompression bomb); it was dropped"
            )


def decoder_for(content_encoding: str | None, *, max_bytes: int, max_ratio: int) -> BodyDecoder:
    """A decoder for the ``Content-Encoding`` header; OutboundRefused for encodings it cannot bound."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding not in ("identity", "", *_WBITS):
        raise OutboundRefused(f"the answer is encoded as {encoding!r}, which the gateway does not accept")
    return BodyDecoder(encoding if encoding in _WBITS else "identity", max_bytes=max_bytes, max_ratio=max_ratio)
