"""Transport failures of any upstream call (connect, protocol, timeout) as retryable upstream errors.

Every provider's I/O shell wraps its network calls in :func:`map_transport_errors`, so a dead
or slow upstream fails over the same way whatever API it speaks.
"""

from __future__ import annotations

from types import TracebackType

import aiohttp

from omnirelay.errors import UpstreamError, UpstreamTimeout

__all__ = ["map_transport_errors"]


class map_transport_errors:  # lower case: used like the function it was, ``with map_transport_errors(hint):``
    """Re-raise connection, protocol and timeout failures as retryable upstream errors.

    A plain class rather than ``@contextmanager``: it is entered twice per relayed call, and a
    generator-based manager costs a generator and its frames each time."""

    __slots__ = ("_hint",)

    def __init__(self, channel_hint: str) -> None:
        self._hint = channel_hint

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is None:
            return
        hint = self._hint
        if isinstance(exc, (TimeoutError, aiohttp.ServerTimeoutError)):
            raise UpstreamTimeout(f"upstream {hint} timed out") from exc
        if isinstance(exc, aiohttp.ClientConnectorError):
            raise UpstreamError(f"cannot connect to upstream {hint}: {exc.os_error}") from exc
        if isinstance(exc, aiohttp.ClientError):
            raise UpstreamError(f"upstream {hint} failed: {type(exc).__name__}: {exc}") from exc
