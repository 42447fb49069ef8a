"""Render any ``OmniRelayError`` in Anthropic's error shape, keeping its HTTP status.

``{"type": "error", "error": {"type": "not_found_error", "message": "..."}}``: the ``type`` is
Anthropic's name for the status (``overloaded_error`` for 503 and 529), except ``api_error`` for
channels only the operator can bring back (503 :class:`~omnirelay.errors.ChannelsDisabled`):
they are not overloaded, and retrying will not help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.sse import SSEResponse
from omnirelay.errors import ChannelsDisabled, OmniRelayError

__all__ = ["anthropic_error_response", "anthropic_errors", "error_type"]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}

Handler = Callable[[Request], Awaitable[Response | SSEResponse]]


def error_type(status: int) -> str:
    return _TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def anthropic_error_response(exc: OmniRelayError) -> Response:
    kind = "api_error" if isinstance(exc, ChannelsDisabled) else error_type(exc.status_code)
    body = {"type": "error", "error": {"type": kind, "message": exc.message}}
    return Response(orjson.dumps(body), status_code=exc.status_code, headers=exc.headers, media_type="application/json")


def anthropic_errors(handler: Handler) -> Handler:
    """Answer the handler's ``OmniRelayError`` in Anthropic's shape (the app's handlers speak OpenAI's)."""

    async def guarded(request: Request) -> Response | SSEResponse:
        try:
            return await handler(request)
        except OmniRelayError as exc:
            return anthropic_error_response(exc)

    return guarded
