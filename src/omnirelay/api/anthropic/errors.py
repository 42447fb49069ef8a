"""Render any ``OmniRelayError`` in Anthropic's error shape, keeping its HTTP status.

``{"type": "error", "error": {"type": "not_found_error", "message": "..."}, "request_id": "req_..."}``
(and the same id in the ``request-id`` header, so a user can quote it): the ``type`` is
Anthropic's name for the status (``overloaded_error`` for 503 and 529), except ``api_error`` for
channels only the operator can bring back (503 :class:`~omnirelay.errors.ChannelsDisabled`):
they are not overloaded, and retrying will not help. A request an upstream refused keeps the
upstream's own Anthropic type and message (an Anthropic channel's ``invalid_request_error``
about a thinking signature reaches the client as Anthropic wrote it).

The request id is allocated once per request by :func:`anthropic_errors`, before the handler
runs, so an error raised before or after it carries the id the log row has.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.sse import SSEResponse
from omnirelay.errors import ChannelsDisabled, OmniRelayError, UpstreamRejected

__all__ = ["anthropic_error_response", "anthropic_errors", "error_type", "request_id_of"]

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

_KNOWN = frozenset(_TYPES.values()) | {"api_error"}
_REQUEST_ID = "omnirelay.request_id"

R = TypeVar("R", bound=Response | SSEResponse)


def error_type(status: int) -> str:
    return _TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")


def _kind(exc: OmniRelayError) -> str:
    if isinstance(exc, ChannelsDisabled):
        return "api_error"
    if isinstance(exc, UpstreamRejected) and exc.type in _KNOWN:
        return exc.type
    return error_type(exc.status_code)


def anthropic_error_response(exc: OmniRelayError, request_id: str) -> Response:
    body = {"type": "error", "error": {"type": _kind(exc), "message": exc.message}, "request_id": request_id}
    headers = {**exc.headers, "request-id": request_id, "x-request-id": request_id}
    return Response(orjson.dumps(body), status_code=exc.status_code, headers=headers, media_type="application/json")


def request_id_of(request: Request) -> str:
    """This request's id (allocated by :func:`anthropic_errors`): the log row's and the error's."""
    state = request.scope.setdefault("state", {})
    found = state.get(_REQUEST_ID)
    if found is None:
        found = state[_REQUEST_ID] = request.app.state.runtime.request_ids.next()
    return str(found)


def anthropic_errors(handler: Callable[[Request], Awaitable[R]]) -> Callable[[Request], Awaitable[R | Response]]:
    """Answer the handler's ``OmniRelayError`` in Anthropic's shape (the app's handlers speak OpenAI's)."""

    async def guarded(request: Request) -> R | Response:
        request_id = request_id_of(request)
        try:
            return await handler(request)
        except OmniRelayError as exc:
            return anthropic_error_response(exc, request_id)

    return guarded
