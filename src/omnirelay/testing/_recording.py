"""What every fake upstream keeps of the requests it received, for tests to inspect."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

__all__ = ["RecordedRequest", "record_json"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any
    raw: bytes = b""
    """The body's bytes as received (a pass-through can be checked byte for byte)."""


async def record_json(request: Request, into: list[RecordedRequest]) -> Any:
    """Append ``request`` (its body parsed as JSON, or None) to ``into``; returns the parsed body."""
    raw = await request.body()
    try:
        parsed = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        parsed = None
    into.append(RecordedRequest(request.method, request.url.path, dict(request.headers), parsed, raw))
    return parsed
