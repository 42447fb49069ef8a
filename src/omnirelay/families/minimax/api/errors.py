"""The one error tree rendered as MiniMax answers errors: HTTP 200, ``{"base_resp": {status_code, status_msg}}``.

Codes are MiniMax's: 1002 rate limit, 1004 authentication (also a key that may not use the
model), 1008 insufficient balance, 2013 invalid parameters (also an unknown model or task),
1000 the service's trouble. An upstream's own refusal keeps the code it gave (``minimax_{code}``,
:mod:`omnirelay.providers.minimax.transforms`).
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from omnirelay.errors import (
    AuthenticationFailed,
    InsufficientBalance,
    InvalidRequest,
    NotFound,
    OmniRelayError,
    PermissionDenied,
    RateLimited,
    UpstreamError,
)
from omnirelay.families.minimax.wire import base_resp

__all__ = ["answer", "error_response"]


def answer(body: object) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _code(exc: OmniRelayError) -> int:
    code = exc.code or ""
    if isinstance(exc, UpstreamError) and code.startswith("minimax_") and code[8:].isdigit():
        return int(code[8:])
    if isinstance(exc, AuthenticationFailed | PermissionDenied):
        return 1004
    if isinstance(exc, InsufficientBalance):
        return 1008
    if isinstance(exc, RateLimited):
        return 1002
    if isinstance(exc, InvalidRequest | NotFound):
        return 2013
    return 1000


def error_response(exc: OmniRelayError) -> Response:
    response = answer({"base_resp": base_resp(_code(exc), exc.message)})
    response.headers.update(exc.headers)
    return response
