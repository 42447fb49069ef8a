"""Transport failures of any upstream call (connect, protocol, timeout) as retryable upstream errors.

Every provider's I/O shell wraps its network calls in :func:`map_transport_errors`, so a dead
or slow upstream fails over the same way whatever API it speaks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp

from omnirelay.errors import UpstreamError, UpstreamTimeout

__all__ = ["map_transport_errors"]


@contextmanager
def map_transport_errors(channel_hint: str) -> Iterator[None]:
    """Re-raise connection, protocol and timeout failures as retryable upstream errors."""
    try:
        yield
    except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
        raise UpstreamTimeout(f"upstream {channel_hint} timed out") from exc
    except aiohttp.ClientConnectorError as exc:
        raise UpstreamError(f"cannot connect to upstream {channel_hint}: {exc.os_error}") from exc
    except aiohttp.ClientError as exc:
        raise UpstreamError(f"upstream {channel_hint} failed: {type(exc).__name__}: {exc}") from exc
