"""``GET /openapi.json``: the contract, serialised once per process and served from memory."""

from __future__ import annotations

import functools

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.openapi.document import openapi_document

__all__ = ["openapi_json"]


@functools.cache
def _document_bytes() -> bytes:
    return orjson.dumps(openapi_document())


async def openapi_json(request: Request) -> Response:
    """No key needed: the document describes the API, it holds nothing of any account."""
    return Response(_document_bytes(), media_type="application/json")
