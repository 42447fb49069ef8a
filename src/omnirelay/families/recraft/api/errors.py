"""The one error tree as the Recraft routes answer it: ``{"code": ..., "message": ...}`` with its HTTP status.

``code`` is the gateway's error code (``invalid_request_error``'s param-level codes such as
``model_not_found``, ``insufficient_balance``, ``invalid_api_key``, ``upstream_error``...), or
the upstream's own when it refused the request; the status is the error's (400 a bad request,
401 a bad key, 402 the balance is too low, 429 too many calls, 5xx the upstream's trouble).
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from omnirelay.errors import OmniRelayError

__all__ = ["error_body", "error_response", "json_response"]


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def error_body(exc: OmniRelayError) -> dict[str, object]:
    return {"code": exc.code or exc.type, "message": exc.message}


def error_response(exc: OmniRelayError) -> Response:
    return json_response(error_body(exc), exc.status_code, exc.headers)
