"""Read a request body as JSON, refusing oversized or malformed ones with a clear error."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from omnirelay.errors import InvalidRequest, PayloadTooLarge

__all__ = ["read_body", "read_json"]


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body is larger than the {limit}-byte limit.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> tuple[Any, int]:
    """The parsed body and its size in bytes."""
    raw = await read_body(request, limit)
    if not raw:
        raise InvalidRequest("The request body is empty; send a JSON object.")
    try:
        return orjson.loads(raw), len(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"The request body is not valid JSON: {exc}.") from exc
