"""Render any ``OmniRelayError`` in Google's error shape: ``{"error": {"code", "message", "status"}}``.

The HTTP status is omnirelay's, with Google's RPC status name beside it (``NOT_FOUND`` for 404,
``RESOURCE_EXHAUSTED`` for 429...). Two exceptions follow what the Gemini API itself answers, so
clients that branch on it keep working: an unknown, disabled or expired key is a 400
``INVALID_ARGUMENT`` with an ``API_KEY_INVALID`` reason, and a missing key a 403 ``PERMISSION_DENIED``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.sse import SSEResponse
from omnirelay.errors import AuthenticationFailed, OmniRelayError, UpstreamRejected

__all__ = ["error_object", "gemini_error_response", "gemini_errors", "rpc_status"]

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    402: "FAILED_PRECONDITION",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ABORTED",
    413: "INVALID_ARGUMENT",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_RPC_NAME = re.compile(r"^[A-Z][A-Z_]+$")
_KEY_INVALID = {
    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
    "reason": "API_KEY_INVALID",
    "domain": "googleapis.com",
}
_NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)

Handler = Callable[[Request], Awaitable[Response | SSEResponse]]


def rpc_status(code: int) -> str:
    """Google's status name for an HTTP status."""
    return _STATUS.get(code, "INVALID_ARGUMENT" if code < 500 else "INTERNAL")


def error_object(exc: OmniRelayError) -> dict[str, Any]:
    """The ``error`` object (also sent as a mid-stream chunk) and its HTTP status in ``code``."""
    if isinstance(exc, AuthenticationFailed):
        if exc.code == "missing_api_key":
            return {"code": 403, "message": _NO_KEY, "status": "PERMISSION_DENIED"}
        return {"code": 400, "message": exc.message, "status": "INVALID_ARGUMENT", "details": [_KEY_INVALID]}
    status = rpc_status(exc.status_code)
    if isinstance(exc, UpstreamRejected) and exc.code and _RPC_NAME.match(exc.code):
        status = exc.code  # a Gemini upstream's own status name, relayed
    return {"code": exc.status_code, "message": exc.message, "status": status}


def gemini_error_response(exc: OmniRelayError) -> Response:
    error = error_object(exc)
    return Response(
        orjson.dumps({"error": error}), status_code=error["code"], headers=exc.headers, media_type="application/json"
    )


def gemini_errors(handler: Handler) -> Handler:
    """Answer the handler's ``OmniRelayError`` in Google's shape (the app's handlers speak OpenAI's)."""

    async def guarded(request: Request) -> Response | SSEResponse:
        try:
            return await handler(request)
        except OmniRelayError as exc:
            return gemini_error_response(exc)

    return guarded
