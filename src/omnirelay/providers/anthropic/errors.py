"""Translate an Anthropic upstream's error answers into ``omnirelay.errors``, in one place.

Anthropic errors look like ``{"type": "error", "error": {"type": "overloaded_error", "message": "..."}}``;
529 (overloaded), 429, 408 and 5xx are retryable on another channel, 401/403 disable the
channel, any other 4xx is about the request and relayed as it is. Transport failures are
mapped by the shared ``map_transport_errors`` of the OpenAI-compatible adapter.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected

__all__ = ["error_for_status", "stream_error"]


def _error_fields(body: bytes) -> tuple[str, str | None]:
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:500].decode(errors="replace") or "no message", None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict):
        return str(parsed)[:500], None
    kind = error.get("type")
    return str(error.get("message") or "no message"), kind if isinstance(kind, str) else None


def error_for_status(status: int, body: bytes, channel_hint: str) -> UpstreamError:
    """The error to raise for a non-2xx upstream answer (the caller decides on retry by its type)."""
    message, kind = _error_fields(body)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {channel_hint} refused the channel's credentials ({status}): {message}")
    if status == 529 or kind == "overloaded_error":
        return UpstreamError(f"upstream {channel_hint} is overloaded ({status}): {message}", code="upstream_overloaded")
    if status in (408, 429) or status >= 500:
        return UpstreamError(f"upstream {channel_hint} answered {status}: {message}", code=f"upstream_{status}")
    return UpstreamRejected(message, status_code=status, type=kind or "invalid_request_error", code=None, param=None)


def stream_error(event: dict[str, Any], channel_hint: str) -> UpstreamError:
    """The error for an ``error`` event inside a stream that had started with 200."""
    error = event.get("error")
    error = error if isinstance(error, dict) else {}
    kind, message = str(error.get("type") or "api_error"), str(error.get("message") or "no message")
    code = "upstream_overloaded" if kind == "overloaded_error" else "bad_gateway"
    return UpstreamError(f"upstream {channel_hint} failed mid-stream ({kind}): {message}", code=code)
