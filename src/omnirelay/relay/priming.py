"""Reading a stream's first item before the client sees a byte: failover ends there.

Every relay opens its upstream stream (a chat stream, a forwarded native one) inside the gate's
failover attempt and reads the first item there, so an upstream that fails before its first
byte is retried on the next channel; when that first read fails, the stream is closed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, TypeVar

__all__ = ["Closable", "first_read"]

T_co = TypeVar("T_co", covariant=True)
T = TypeVar("T")


class Closable(Protocol[T_co]):
    """An upstream stream: iterated once, closed once."""

    def __aiter__(self) -> AsyncIterator[T_co]: ...

    async def aclose(self) -> None: ...


async def first_read(stream: Closable[T]) -> tuple[AsyncIterator[T], T | None]:
    """The stream's iterator and its first item (``None``: it ended at once); closed if that read fails."""
    reads = stream.__aiter__()
    try:
        first = await anext(reads, None)
    except BaseException:
        await stream.aclose()
        raise
    return reads, first
