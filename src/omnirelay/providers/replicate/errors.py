"""Replicate's problem-details answers (RFC 7807: ``title``, ``detail``, ``status``, 422 ``invalid_fields``)
in the one error tree.

An account out of credit (402) or throttled (429) is the channel's trouble, not the client's:
retryable on another channel. A refused token is the channel's secret (the channel is disabled).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError
from omnirelay.providers.replicate.upstream import ReplicateRejected

__all__ = ["error_for", "parsed"]


def parsed(raw: bytes) -> Any:
    """The JSON of an answer, or None when it is not JSON."""
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _problem(raw: bytes, status: int) -> dict[str, Any]:
    body = parsed(raw)
    if isinstance(body, Mapping):
        return dict(body)
    return {"status": status, "detail": raw[:500].decode(errors="replace") or "no message"}


def _message(problem: Mapping[str, Any]) -> str:
    for key in ("detail", "title"):
        value = problem.get(key)
        if isinstance(value, str) and value:
            return value
    return str(problem)[:500]


def _param(problem: Mapping[str, Any]) -> str | None:
    """The first field a 422 names (``input``, ``version``, ``webhook``...), if any."""
    fields = problem.get("invalid_fields")
    first = fields[0] if isinstance(fields, list) and fields and isinstance(fields[0], Mapping) else None
    field = first.get("field") if first is not None else None
    return field if isinstance(field, str) and field else None


def error_for(status: int, raw: bytes, channel: str) -> UpstreamError:
    """The error to raise for a Replicate upstream's answer with HTTP ``status`` >= 400."""
    problem = _problem(raw, status)
    message = _message(problem)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {channel} refused the channel's token ({status}): {message}")
    if status == 402:
        return UpstreamError(f"upstream {channel} is out of credit (402): {message}", code="upstream_no_credits")
    if status in (408, 409, 429) or status >= 500:
        return UpstreamError(f"upstream {channel} answered {status}: {message}", code=f"upstream_{status}")
    return ReplicateRejected(message, status_code=status, param=_param(problem), problem=problem)
