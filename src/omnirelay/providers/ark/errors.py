"""Ark's error answers (``{"error": {"code", "message", "param", "type"}}``) as errors of the one tree.

* 401, or a 403 about the key itself: the channel's key was refused (the channel is disabled).
* An account out of money or quota, 429 (RPM/IPM limits) and 5xx: another channel (another
  account) may take the call, so it fails over.
* Any other 4xx is about the request: relayed with Ark's own code, read back by the family from
  ``ark_{code}`` so clients see ``InvalidParameter``, ``InputTextSensitiveContentDetected``...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected

__all__ = ["CODE_PREFIX", "error_for", "parsed"]

CODE_PREFIX = "ark_"
_CHANNELS_TROUBLE = frozenset(
    {"AccountOverdueError", "QuotaExceeded", "ServiceNotOpen", "ModelNotOpen", "RateLimitExceeded", "ServerOverloaded"}
)
_KEY_REFUSED = frozenset({"AuthenticationError", "AccessDenied", "InvalidAccountStatus"})


def parsed(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _fields(raw: bytes) -> tuple[str, str | None, str | None]:
    """(message, code, param) of an error answer, whatever shape it has."""
    body = parsed(raw)
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        return raw[:500].decode(errors="replace") or "no message", None, None
    code, param, message = error.get("code"), error.get("param"), error.get("message")
    return (
        str(message) if message else str(error)[:500],
        str(code) if isinstance(code, str) and code else None,
        str(param) if isinstance(param, str) and param else None,
    )


def error_for(status: int, raw: bytes, channel: str) -> UpstreamError:
    """The error to raise for an Ark answer with HTTP ``status`` >= 400."""
    message, code, param = _fields(raw)
    if status == 401 or (status == 403 and code in _KEY_REFUSED):
        return UpstreamAuthFailed(f"upstream {channel} refused the channel's key ({status}/{code}): {message}")
    if code in _CHANNELS_TROUBLE or status in (402, 403, 429) or status >= 500:
        return UpstreamError(f"upstream {channel} answered {status}/{code}: {message}", code=f"upstream_{status}")
    kind = f"{CODE_PREFIX}{code}" if code else "upstream_rejected"
    return UpstreamRejected(message, status_code=status, type="invalid_request_error", code=kind, param=param)
