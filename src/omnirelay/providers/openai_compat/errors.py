"""Translate aiohttp failures and upstream error answers into ``omnirelay.errors``, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import orjson

from omnirelay.errors import (
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamRejected,
    UpstreamTimeout,
)

__all__ = ["error_for_status", "map_transport_errors"]


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


def _error_fields(body: bytes) -> tuple[str, str | None, str | None, str | None]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:500].decode(errors="replace") or "no message", None, None, None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict):
        return str(parsed)[:500], None, None, None
    code = error.get("code")
    return (
        str(error.get("message") or "no message"),
        error.get("type") if isinstance(error.get("type"), str) else None,
        str(code) if code is not None else None,
        error.get("param") if isinstance(error.get("param"), str) else None,
    )


def error_for_status(status: int, body: bytes, channel_hint: str) -> UpstreamError:
    """The error to raise for a non-2xx upstream answer (the caller decides on retry by its type)."""
    message, type_, code, param = _error_fields(body)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {channel_hint} refused the channel's credentials ({status}): {message}")
    if status == 429 or status >= 500 or status == 408:
        return UpstreamError(f"upstream {channel_hint} answered {status}: {message}", code=f"upstream_{status}")
    return UpstreamRejected(message, status_code=status, type=type_ or "invalid_request_error", code=code, param=param)
