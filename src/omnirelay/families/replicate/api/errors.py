"""The one error tree rendered as Replicate's problem details (RFC 7807: ``title``, ``status``, ``detail``).

Replicate's clients read ``detail`` (and ``invalid_fields`` on a 422, the gateway's own or an
upstream's for a model the gateway does not know); the status is the error's own (401, 402,
404, 413, 422, 429, 5xx), and its headers (``Retry-After``) are kept.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from omnirelay.errors import OmniRelayError
from omnirelay.families.replicate.invalid import InvalidFields
from omnirelay.providers.replicate.upstream import ReplicateRejected

__all__ = ["json_response", "problem_response"]

_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    402: "Insufficient credit",
    403: "Forbidden",
    404: "Not found",
    413: "Payload too large",
    422: "Input validation failed",
    429: "Too many requests",
}


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def problem_response(exc: OmniRelayError) -> Response:
    status = exc.status_code
    title = _TITLES.get(status, "Upstream error" if status >= 500 else "Request failed")
    body: dict[str, Any] = {"title": title, "status": status, "detail": exc.message}
    if isinstance(exc, InvalidFields):
        body["invalid_fields"] = exc.fields
    elif isinstance(exc, ReplicateRejected) and isinstance(exc.problem.get("invalid_fields"), list):
        body["invalid_fields"] = exc.problem["invalid_fields"]  # an unknown model's input, refused upstream
    response = json_response(body, status, exc.headers)
    response.headers["content-type"] = "application/problem+json"
    return response
