"""Routes of the BFL family (spec §4.1), at BFL's own paths and again under ``/bfl`` (as aggregators
re-expose them): submit (``POST /v1/flux-*``, one route for every model), ``GET /v1/get_result``, and
the signed result links. Every answer is BFL's own shape; errors FastAPI's ``{"detail": ...}`` (:mod:`.errors`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_body
from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import OmniRelayError
from omnirelay.families.bfl.api.context import base_url, caller_of, services
from omnirelay.families.bfl.api.errors import error_response, json_response
from omnirelay.families.bfl.invalid import InvalidFields, field_error
from omnirelay.families.bfl.service import SubmitContext
from omnirelay.runtime import Runtime

__all__ = ["PREFIXES", "bfl_routes"]

PREFIXES = ("", "/bfl")


def _parsed(raw: bytes) -> object:
    if not raw:
        raise field_error(["body"], "Field required", "missing")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidFields([{"loc": ["body", exc.pos], "msg": "JSON decode error", "type": "json_invalid"}]) from exc


def _submit(prefix: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            body = _parsed(await read_body(request, runtime.settings.server.max_body_bytes))
            ctx = SubmitContext(caller, base_url(request, runtime), prefix, request.url.path)
            model = "flux-" + request.path_params["rest"]
            return json_response(await services(runtime).submissions.submit(model, body, ctx))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


async def _get_result(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        task_id = request.query_params.get("id")
        if task_id is None:
            raise field_error(["query", "id"], "Field required", "missing")
        status, answer = await services(runtime).queries.get(task_id, caller)
        return json_response(answer, status)
    except OmniRelayError as exc:
        return error_response(exc)


async def _media(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    task_id, name = request.path_params["task_id"], request.path_params["name"]
    try:
        stream = await services(runtime).media.open(
            task_id, request.query_params.get("sig", ""), byte_range=asked_range(request)
        )
    except OmniRelayError as exc:
        return error_response(exc)
    return MediaResponse(stream, f"{task_id}-{name.partition('.')[0]}")


def bfl_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for prefix in PREFIXES:
        routes += [
            Route(prefix + "/v1/flux-{rest}", _submit(prefix), methods=["POST"]),
            Route(prefix + "/v1/get_result", _get_result, methods=["GET"]),
        ]
    routes.append(Route("/bfl/media/{task_id}/{name}", _media, methods=["GET"]))
    return routes
