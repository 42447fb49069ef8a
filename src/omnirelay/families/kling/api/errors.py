"""The one error tree rendered as Kling answers errors: ``{code, message, request_id}`` with its HTTP status.

Codes are Kling's (KL commonInfo): 1000-1004 authentication, 1101 arrears (the balance here is
too low), 1102 resources used up, 1103 no permission, 1201 invalid parameter, 1203 not found,
1301 content safety, 1302 too fast, 5000/5001/5002 the service's trouble. An upstream's own
refusal keeps the code it gave (``kling_{code}``, :mod:`omnirelay.providers.kling.transforms`).
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
)
from omnirelay.families.kling.wire import failure

__all__ = ["envelope_response", "error_response"]

_SERVICE_CODES = {503: 5001, 504: 5002}


def envelope_response(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _upstream(exc: UpstreamError) -> tuple[int, int]:
    code = exc.code or ""
    if code.startswith("kling_") and code[6:].isdigit():
        return exc.status_code, int(code[6:])
    status = exc.status_code if exc.status_code >= 500 else 502
    return status, _SERVICE_CODES.get(status, 5000)


def _status_and_code(exc: OmniRelayError) -> tuple[int, int]:
    if isinstance(exc, AuthenticationFailed):
        return 401, 1002
    if isinstance(exc, InsufficientBalance):
        return 429, 1101
    if isinstance(exc, RateLimited):
        return 429, 1302
    if isinstance(exc, ModelNotFound | NotFound):
        return 404, 1203
    if isinstance(exc, PermissionDenied):
        return 403, 1103
    if isinstance(exc, UpstreamError):
        return _upstream(exc)
    if isinstance(exc, InvalidRequest):
        return exc.status_code, 1201
    return exc.status_code, _SERVICE_CODES.get(exc.status_code, 5000)


def error_response(exc: OmniRelayError) -> Response:
    status, code = _status_and_code(exc)
    response = envelope_response(failure(code, exc.message), status)
    response.headers.update(exc.headers)
    return response
