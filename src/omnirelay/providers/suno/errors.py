"""Suno upstream error answers in the one error tree, for both dialects.

The aggregator answers ``{"code", "message", "data": null}`` (its raw routes ``{"detail"}``),
gcui ``{"error": ...}``. An upstream account out of credits (aggregator 403 ``quota_not_enough``,
gcui 402) is the channel's trouble, not the client's: retryable elsewhere, not an auth failure.
"""

from __future__ import annotations

from typing import Any

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.suno.wire import parsed

__all__ = ["error_for"]

_OUT_OF_CREDITS = frozenset({"quota_not_enough", "insufficient_credits"})


def _fields(raw: bytes) -> tuple[str, str | None]:
    """(message, code) of an error answer, whatever its shape."""
    body: Any = parsed(raw)
    if not isinstance(body, dict):
        return raw[:500].decode(errors="replace") or "no message", None
    for key in ("message", "error", "detail"):
        message = body.get(key)
        if isinstance(message, str) and message:
            code = body.get("code")
            return message, code if isinstance(code, str) else None
    return str(body)[:500], None


def error_for(status: int, raw: bytes, channel: str) -> UpstreamError:
    """The error to raise for a Suno upstream's answer with HTTP ``status`` >= 400."""
    message, code = _fields(raw)
    if status == 402 or code in _OUT_OF_CREDITS:
        return UpstreamError(f"upstream {channel} is out of credits ({status}): {message}", code="upstream_no_credits")
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {channel} refused the channel's credentials ({status}): {message}")
    if status in (408, 429) or status >= 500:
        return UpstreamError(f"upstream {channel} answered {status}: {message}", code=f"upstream_{status}")
    kind = code or "upstream_rejected"
    return UpstreamRejected(message, status_code=status, type="invalid_request_error", code=kind, param=None)
