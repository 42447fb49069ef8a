"""The one error tree rendered as BFL answers errors: FastAPI's ``{"detail": ...}`` with BFL's status.

A refused field is 422 with a list of ``{loc, msg, type}`` (:class:`~omnirelay.families.bfl.invalid.InvalidFields`,
or any other bad input, located by its ``param``); everything else is ``{"detail": "<message>"}``:
401 no or unknown key, 402 balance too low (BFL's "insufficient credits"), 403 not allowed, 404 not
found, 413 body too large, 429 too many requests, and 5xx when no upstream could take the task.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from omnirelay.errors import InsufficientBalance, InvalidRequest, OmniRelayError, PayloadTooLarge, UpstreamError
from omnirelay.families.bfl.invalid import InvalidFields

__all__ = ["error_response", "json_response"]


def json_response(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _invalid_detail(exc: InvalidRequest) -> list[dict[str, Any]]:
    if isinstance(exc, InvalidFields):
        return exc.detail
    return [{"loc": ["body", exc.param] if exc.param else ["body"], "msg": exc.message, "type": "value_error"}]


def _status(exc: OmniRelayError) -> int:
    if isinstance(exc, InsufficientBalance):
        return 402
    if isinstance(exc, UpstreamError) and exc.status_code < 500 and exc.status_code not in (400, 422):
        return 502  # the upstream's own refusals of the channel (auth, credits) are the gateway's trouble
    return exc.status_code


def error_response(exc: OmniRelayError) -> Response:
    status = _status(exc)
    detail: Any = exc.message
    if isinstance(exc, InvalidRequest) and not isinstance(exc, PayloadTooLarge) and status in (400, 422):
        status, detail = 422, _invalid_detail(exc)
    elif status == 422:  # an upstream's own refusal of a field: still a list, as FastAPI answers 422
        detail = [{"loc": ["body"], "msg": exc.message, "type": "value_error"}]
    response = json_response({"detail": detail}, status)
    response.headers.update(exc.headers)
    return response
