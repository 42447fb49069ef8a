"""Routes of the MiniMax family (spec §5.2), at MiniMax's own paths and again under ``/minimax``:
create, query, and the file retrieve that answers the video's signed ``download_url``.

Every answer is MiniMax's: HTTP 200 with ``base_resp`` (errors too, :mod:`.errors`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.api.callers import base_url, identify
from omnirelay.errors import InvalidRequest, OmniRelayError
from omnirelay.families.minimax.api.errors import answer, error_response
from omnirelay.families.minimax.service import MiniMaxService
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["minimax_routes"]

Operation = Callable[[Request, Runtime, Caller, MiniMaxService], Awaitable[object]]


def _handler(operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = identify(request, bearer_token(request.headers.get("authorization")))
            service = runtime.tasks.service("minimax", MiniMaxService)
            return answer(await operation(request, runtime, caller, service))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


def _param(request: Request, name: str) -> str:
    value = request.query_params.get(name, "").strip()
    if not value:
        raise InvalidRequest(f"{name} is required.", param=name)
    return value


async def _create(request: Request, runtime: Runtime, caller: Caller, service: MiniMaxService) -> object:
    body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
    return await service.create(body, caller, request.url.path)


async def _query(request: Request, runtime: Runtime, caller: Caller, service: MiniMaxService) -> object:
    return await service.query(_param(request, "task_id"), caller)


async def _file(request: Request, runtime: Runtime, caller: Caller, service: MiniMaxService) -> object:
    return await service.file(_param(request, "file_id"), caller, base_url(request, runtime))


def minimax_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for prefix in ("/minimax", ""):
        routes += [
            Route(prefix + "/v1/video_generation", _handler(_create), methods=["POST"]),
            Route(prefix + "/v1/query/video_generation", _handler(_query), methods=["GET"]),
            Route(prefix + "/v1/files/retrieve", _handler(_file), methods=["GET"]),
        ]
    return routes
