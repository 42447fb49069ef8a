"""Translate a Gemini upstream's error answers into ``omnirelay.errors``, in one place (§2.7).

Google errors look like ``{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT",
"details": [...]}}``. A bad key is a 400 whose details say ``API_KEY_INVALID``: like 401 and 403
it disables the channel. 408, 429, 5xx and ``FAILED_PRECONDITION`` (billing not enabled, region
not served: a fault of this channel's account, not of the request) are retried on another
channel. Any other 4xx is about the request and relayed with the upstream's message, its RPC
status as the error code. Transport failures are mapped by the shared ``map_transport_errors``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected

__all__ = ["GoogleError", "error_for_status", "read_error", "stream_error"]

_KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"})
_CHANNEL_FAULTS = frozenset({"FAILED_PRECONDITION"})


@dataclass(frozen=True, slots=True)
class GoogleError:
    message: str
    status: str | None
    reasons: frozenset[str]


def _error_object(parsed: Any) -> GoogleError | None:
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict):
        return None
    details = error.get("details")
    reasons = (
        {str(d.get("reason")) for d in details if isinstance(d, dict) and d.get("reason")}
        if isinstance(details, list)
        else set()
    )
    status = error.get("status")
    return GoogleError(
        str(error.get("message") or "no message"), status if isinstance(status, str) else None, frozenset(reasons)
    )


def read_error(body: bytes) -> GoogleError:
    """The message, RPC status and detail reasons of an error body (a Google error or anything else)."""
    try:
        parsed: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        return GoogleError(body[:500].decode(errors="replace") or "no message", None, frozenset())
    if isinstance(parsed, list) and parsed:  # the non-SSE stream form wraps the error in an array
        parsed = parsed[0]
    found = _error_object(parsed)
    return found if found is not None else GoogleError(str(parsed)[:500], None, frozenset())


def error_for_status(status: int, body: bytes, channel_hint: str) -> UpstreamError:
    """The error to raise for a non-2xx upstream answer (the caller decides on retry by its type)."""
    error = read_error(body)
    if status in (401, 403) or error.reasons & _KEY_REASONS:
        return UpstreamAuthFailed(
            f"upstream {channel_hint} refused the channel's credentials ({status}): {error.message}"
        )
    if status in (408, 429) or status >= 500 or error.status in _CHANNEL_FAULTS:
        code = "upstream_overloaded" if status == 503 else f"upstream_{status}"
        return UpstreamError(f"upstream {channel_hint} answered {status}: {error.message}", code=code)
    return UpstreamRejected(
        error.message, status_code=status, type="invalid_request_error", code=error.status, param=None
    )


def stream_error(fragment: dict[str, Any], channel_hint: str) -> UpstreamError:
    """The error for an ``{"error": ...}`` fragment inside a stream that had started with 200."""
    error = _error_object(fragment) or GoogleError("no message", None, frozenset())
    code = "upstream_overloaded" if error.status in ("UNAVAILABLE", "RESOURCE_EXHAUSTED") else "bad_gateway"
    return UpstreamError(
        f"upstream {channel_hint} failed mid-stream ({error.status or 'error'}): {error.message}", code=code
    )
