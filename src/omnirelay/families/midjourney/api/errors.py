"""The one error tree rendered in the Midjourney envelope ``{code, description, result, properties}``.

Submit endpoints answer logical errors with HTTP 200 as Midjourney-Proxy does (clients read
``code``); a missing parent task on ``/action`` and ``/modal`` is a 404, like trueai's.
Disabled channels (:class:`~omnirelay.errors.ChannelsDisabled`) are code 3 on HTTP 200, as
Midjourney-Proxy answers when no account instance can take a task.
Authentication, balance, permission and rate errors keep their HTTP status.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

from omnirelay.errors import ChannelsDisabled, InvalidRequest, ModelNotFound, NotFound, OmniRelayError
from omnirelay.families.midjourney.wire import envelope

__all__ = ["envelope_response", "error_response"]


def envelope_response(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _code(exc: OmniRelayError) -> int:
    if isinstance(exc, NotFound | ModelNotFound | ChannelsDisabled):  # nothing (no task, no channel) to run it
        return 3
    if exc.status_code >= 500:
        return 9
    return 4


def error_response(exc: OmniRelayError, *, submit: bool, not_found_status: int = 200) -> Response:
    code = _code(exc)
    if isinstance(exc, NotFound | ModelNotFound):
        status = not_found_status if submit else 404
    elif isinstance(exc, InvalidRequest | ChannelsDisabled) and submit:
        status = 200
    else:
        status = exc.status_code
    headers = exc.headers
    response = envelope_response(envelope(code, exc.message), status)
    response.headers.update(headers)
    return response
