"""The one error tree rendered in the 2A envelope ``{code, message, data: null}``, with new-api's codes.

``invalid_request`` (400), ``task_not_exist`` (400), ``quota_not_enough`` (403, as new-api
answers a balance too low), ``model_not_allowed`` (403), ``upstream_error`` (the upstream's
trouble, 5xx; "upstream saturated" on 429); authentication and rate errors keep their status.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from omnirelay.errors import (
    InsufficientBalance,
    InvalidRequest,
    ModelNotFound,
    OmniRelayError,
    PermissionDenied,
    UpstreamError,
)
from omnirelay.families.suno.owners import TaskNotExist
from omnirelay.families.suno.wire import failure

__all__ = ["envelope_response", "error_response"]


def envelope_response(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _code_and_status(exc: OmniRelayError) -> tuple[str, int, str]:
    """(code, HTTP status, message) of ``exc`` in new-api's terms."""
    if isinstance(exc, TaskNotExist):
        return "task_not_exist", 400, exc.message
    if isinstance(exc, InsufficientBalance):
        return "quota_not_enough", 403, exc.message
    if isinstance(exc, ModelNotFound):
        return "model_not_found", 503, exc.message  # no channel serves it: new-api's "no available channel"
    if isinstance(exc, PermissionDenied):
        return ("model_not_allowed" if exc.code == "model_not_allowed" else str(exc.code)), 403, exc.message
    if isinstance(exc, UpstreamError):
        if exc.status_code == 429 or exc.code == "upstream_429":  # the upstream's queue is full
            return "upstream_error", 429, "upstream saturated"
        return "upstream_error", exc.status_code if exc.status_code >= 400 else 502, exc.message
    if isinstance(exc, InvalidRequest):
        return "invalid_request", exc.status_code, exc.message
    if exc.status_code >= 500:
        return "internal_error", exc.status_code, exc.message
    return str(exc.code or "invalid_request"), exc.status_code, exc.message


def error_response(exc: OmniRelayError) -> Response:
    code, status, message = _code_and_status(exc)
    response = envelope_response(failure(code, message), status)
    response.headers.update(exc.headers)
    return response
