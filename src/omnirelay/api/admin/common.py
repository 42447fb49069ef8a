"""What every admin handler needs: the admin check, a validated body, a JSON answer."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.accounts.keys import hash_key
from omnirelay.api.body import read_json
from omnirelay.errors import AuthenticationFailed, InvalidRequest
from omnirelay.integers import INT32_MAX, INT64_MAX, check_json_integers, optional_whole_number, whole_number
from omnirelay.relay.auth import bearer_token
from omnirelay.runtime import Runtime

__all__ = ["admin_runtime", "int_param", "json_response", "parse_body", "query_int"]

M = TypeVar("M", bound=BaseModel)
_ADMIN_BODY_LIMIT = 1024 * 1024


def admin_runtime(request: Request) -> Runtime:
    """The runtime, once the request proved it holds an admin key (401 otherwise)."""
    runtime: Runtime = request.app.state.runtime
    token = bearer_token(request.headers.get("authorization"))
    if token is None or hash_key(token) not in runtime.catalog.snapshot.admin_hashes:
        raise AuthenticationFailed("This endpoint needs an admin key: 'Authorization: Bearer <admin key>'.")
    return runtime


async def parse_body(request: Request, model: type[M]) -> M:
    body, _ = await read_json(request, _ADMIN_BODY_LIMIT)
    check_json_integers(body)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidRequest(f"Invalid field {where}: {first['msg']}.", param=where) from exc


def int_param(request: Request, name: str, *, high: int = INT32_MAX) -> int:
    """A row id from the URL path (or the query): 1 to ``high``; the default fits the 32-bit ids
    of accounts, keys and channels, pass ``INT64_MAX`` for log, ledger and delivery ids."""
    value = request.path_params.get(name) or request.query_params.get(name)
    return whole_number(str(value or ""), name, low=1, high=high)


def query_int(
    request: Request, name: str, *, low: int = 0, high: int = INT64_MAX, default: int | None = None
) -> int | None:
    """An optional whole number from the query string, in ``[low, high]``; 400 naming it otherwise."""
    return optional_whole_number(request.query_params.get(name), name, low=low, high=high, default=default)


def json_response(data: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status_code, media_type="application/json")
