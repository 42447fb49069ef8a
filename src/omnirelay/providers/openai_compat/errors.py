"""Translate aiohttp failures and upstream error answers into ``omnirelay.errors``, in one place."""

from __future__ import annotations

import orjson

from omnirelay.errors import (
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamRejected,
)
from omnirelay.providers.transport import map_transport_errors

__all__ = ["error_for_status", "map_transport_errors"]


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
