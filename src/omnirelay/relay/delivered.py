"""What a stream delivered, kept for billing when the upstream reports no usage, in bounded memory.

A session keeps the raw payloads it gave the client (cheap: no parsing on the hot path) until they
add up to ``compact_at`` bytes; then they are read once for their text, and later payloads are
read as they come. A long stream, or one a client stalls on, then holds its text (a few bytes
per event) instead of every frame (a few hundred).
"""

from __future__ import annotations

from collections.abc import Callable

import orjson

__all__ = ["DeliveredText", "json_text"]

_COMPACT_AT = 64 * 1024


class DeliveredText:
    def __init__(self, text_of: Callable[[bytes], str], compact_at: int = _COMPACT_AT) -> None:
        """``text_of(payload)``: the text one payload carries ('' when none, or when it is not JSON)."""
        self._text_of = text_of
        self._compact_at = compact_at
        self._payloads: list[bytes] = []
        self._size = 0
        self._texts: list[str] | None = None

    def add(self, payload: bytes) -> None:
        if self._texts is not None:
            self._texts.append(self._text_of(payload))
            return
        self._payloads.append(payload)
        self._size += len(payload)
        if self._size >= self._compact_at:
            self._texts = [self._text_of(p) for p in self._payloads]
            self._payloads = []

    def extend(self, payloads: list[bytes]) -> None:
        for payload in payloads:
            self.add(payload)

    def text(self) -> str:
        """Every delivered payload's text, in order."""
        return "".join(self._texts or ()) + "".join(self._text_of(p) for p in self._payloads)


def json_text(read: Callable[[object], str]) -> Callable[[bytes], str]:
    """``text_of`` for JSON payloads: ``read(parsed)``, '' when a payload is not JSON."""

    def text_of(payload: bytes) -> str:
        try:
            return read(orjson.loads(payload))
        except orjson.JSONDecodeError:
            return ""

    return text_of
