"""What the Suno transforms hand the I/O shell: one upstream request, described; and what a dialect cannot do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from omnirelay.errors import UpstreamError

__all__ = ["Dialect", "UpstreamRequest", "parsed", "unsupported"]

Dialect = Literal["aggregator", "gcui"]


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: Literal["GET", "POST"]
    path: str
    body: Mapping[str, Any] | None = None
    query: Mapping[str, str] = field(default_factory=dict)


def parsed(raw: bytes) -> Any:
    """The JSON of an answer, or None when it is not JSON."""
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def unsupported(dialect: Dialect, what: str) -> UpstreamError:
    """Retryable: another channel (of the other dialect) may do it."""
    return UpstreamError(f"a Suno channel of dialect {dialect!r} cannot {what}", code="unsupported_by_channel")
