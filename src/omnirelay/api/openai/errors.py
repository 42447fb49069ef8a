"""Render any ``OmniRelayError`` in the OpenAI error shape."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.errors import OmniRelayError

__all__ = ["error_body", "openai_error_response"]


def error_body(exc: OmniRelayError) -> bytes:
    return orjson.dumps({"error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}})


async def openai_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OmniRelayError)
    return Response(error_body(exc), status_code=exc.status_code, headers=exc.headers, media_type="application/json")
