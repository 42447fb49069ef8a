"""The one error tree as the Ideogram routes answer it: ``{"error": message, "detail": {"code", "param"}}``.

Ideogram's own error body is not documented precisely (spec §4.2, ``{"error": ...}`` or
``{"detail": ...}``); this gateway answers both keys at once: ``error`` is the message a client
shows, ``detail`` names the gateway's code and the field at fault. Statuses are Ideogram's: 400 a
bad request, 401 no or a bad key, 402 the balance is too low, 403 a model this key may not use,
404 an unknown model, 422 the prompt or image failed the upstream's safety check (relayed as the
upstream answered), 429 too many calls, 5xx the upstream's trouble.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from omnirelay.errors import OmniRelayError

__all__ = ["error_body", "error_response", "json_response"]


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def error_body(exc: OmniRelayError) -> dict[str, object]:
    return {"error": exc.message, "detail": {"code": exc.code or exc.type, "param": exc.param}}


def error_response(exc: OmniRelayError) -> Response:
    return json_response(error_body(exc), exc.status_code, exc.headers)
