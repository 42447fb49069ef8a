"""The one error tree rendered as Ark answers errors: ``{"error": {"code", "message", "param", "type"}}``.

Codes are Ark's: ``InvalidParameter`` (400), ``AuthenticationError`` (401), ``AccessDenied`` and
``AccountOverdueError`` (403, the balance here is too low), ``InvalidEndpointOrModel.NotFound`` and
``ResourceNotFound`` (404), ``RateLimitExceeded`` (429), ``ServiceUnavailable`` /
``InternalServiceError`` (5xx). An upstream's own refusal keeps the code it gave (``ark_{code}``,
:mod:`omnirelay.providers.ark.errors`); the gateway's own Ark-specific refusals use the same prefix.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from omnirelay.errors import (
    AuthenticationFailed,
    InsufficientBalance,
    InvalidRequest,
    ModelNotFound,
    NotFound,
    OmniRelayError,
    PermissionDenied,
    RateLimited,
    UpstreamError,
    UpstreamRejected,
)
from omnirelay.providers.ark.errors import CODE_PREFIX

__all__ = ["error_response", "json_response"]

_TYPES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 413: "BadRequest",
          429: "TooManyRequests"}  # fmt: skip


def json_response(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _status_and_code(exc: OmniRelayError) -> tuple[int, str]:
    if exc.code and exc.code.startswith(CODE_PREFIX):
        return exc.status_code, exc.code[len(CODE_PREFIX) :]
    if isinstance(exc, AuthenticationFailed):
        return 401, "AuthenticationError"
    if isinstance(exc, InsufficientBalance):
        return 403, "AccountOverdueError"
    if isinstance(exc, PermissionDenied):
        return 403, "AccessDenied"
    if isinstance(exc, RateLimited):
        return 429, "RateLimitExceeded"
    if isinstance(exc, ModelNotFound):
        return 404, "InvalidEndpointOrModel.NotFound"
    if isinstance(exc, NotFound):
        return 404, "ResourceNotFound"
    if isinstance(exc, InvalidRequest):
        return exc.status_code, "InvalidParameter"
    if isinstance(exc, UpstreamRejected):
        return exc.status_code, "InvalidParameter"
    if isinstance(exc, UpstreamError):
        status = exc.status_code if exc.status_code >= 500 else 502
        return status, "ServiceUnavailable" if status in (503, 504) else "InternalServiceError"
    return exc.status_code, "InternalServiceError"


def error_response(exc: OmniRelayError) -> Response:
    status, code = _status_and_code(exc)
    kind = _TYPES.get(status, "BadRequest" if status < 500 else "InternalServerError")
    body = {"error": {"code": code, "message": exc.message, "param": exc.param or "", "type": kind}}
    response = json_response(body, status)
    response.headers.update(exc.headers)
    return response
