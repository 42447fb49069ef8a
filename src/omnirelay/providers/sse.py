"""Incremental decoding of server-sent events into their ``data`` payloads.

Works on whatever byte chunks the transport delivers (one event per chunk, many, or a
fraction), so the reader awaits once per network read instead of once per line.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

__all__ = ["SSEDecoder", "data_batches"]


class SSEDecoder:
    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        """The payloads of every event completed by ``chunk`` (multi-line data joined by ``\\n``)."""
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buffer = self._buffer + chunk
        *events, self._buffer = buffer.split(b"\n\n")
        return [payload for event in events if (payload := _data_of(event)) is not None]

    def close(self) -> list[bytes]:
        """A final event the upstream did not terminate with a blank line."""
        rest, self._buffer = self._buffer, b""
        payload = _data_of(rest.rstrip(b"\n"))
        return [payload] if payload is not None else []


async def data_batches(reads: AsyncIterable[bytes]) -> AsyncIterator[list[bytes]]:
    """An OpenAI-style stream's payloads, one batch per network read, up to its ``[DONE]`` (left out)."""
    decoder = SSEDecoder()
    async for chunk in reads:
        batch = decoder.feed(chunk)
        if b"[DONE]" in batch:
            yield batch[: batch.index(b"[DONE]")]
            return
        if batch:
            yield batch
    tail = [p for p in decoder.close() if p != b"[DONE]"]
    if tail:
        yield tail


def _data_of(event: bytes) -> bytes | None:
    if event.startswith(b"data: ") and b"\n" not in event:  # the common case: one data line
        return event[6:]
    lines = [line[5:].removeprefix(b" ") for line in event.split(b"\n") if line.startswith(b"data:")]
    return b"\n".join(lines) if lines else None
