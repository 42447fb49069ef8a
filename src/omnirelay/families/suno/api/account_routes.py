"""Routes of the upload flow, personas and ``act`` reads: raw answers as 2A gives them (``audio-url`` in the envelope).

Errors still come in the ``{code, message, data: null}`` envelope, like every other Suno route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.errors import OmniRelayError
from omnirelay.families.suno.account_calls import AccountCalls
from omnirelay.families.suno.api.act_routes import act_routes
from omnirelay.families.suno.api.context import caller_of, services
from omnirelay.families.suno.api.errors import envelope_response, error_response
from omnirelay.families.suno.wire import envelope
from omnirelay.relay.auth import Caller

__all__ = ["account_routes"]

Call = Callable[[AccountCalls, Request, Any, Caller], Awaitable[Any]]


def _route(call: Call, *, has_body: bool = True) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            body: Any = {}
            if has_body:
                body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
            return envelope_response(await call(services(runtime).accounts, request, body, caller))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


async def _open(calls: AccountCalls, request: Request, body: Any, caller: Caller) -> Any:
    return await calls.open_upload(body, caller)


async def _finish(calls: AccountCalls, request: Request, body: Any, caller: Caller) -> Any:
    return await calls.upload_step("upload_finish", request.path_params["upload_id"], body, caller)


async def _status(calls: AccountCalls, request: Request, body: Any, caller: Caller) -> Any:
    return await calls.upload_step("upload_status", request.path_params["upload_id"], body, caller)


async def _initialize(calls: AccountCalls, request: Request, body: Any, caller: Caller) -> Any:
    return await calls.initialize_clip(request.path_params["upload_id"], body, caller)


async def _from_url(calls: AccountCalls, request: Request, body: Any, caller: Caller) -> Any:
    return envelope(await calls.import_url(body, caller))


async def _persona(calls: AccountCalls, request: Request, body: Any, caller: Caller) -> Any:
    return await calls.create_persona(body, caller)


def account_routes() -> list[BaseRoute]:
    uploads = "/suno/uploads/audio"
    return [
        Route(uploads, _route(_open), methods=["POST"]),
        Route(f"{uploads}-url", _route(_from_url), methods=["POST"]),
        Route(f"{uploads}/{{upload_id}}/upload-finish", _route(_finish), methods=["POST"]),
        Route(f"{uploads}/{{upload_id}}", _route(_status, has_body=False), methods=["GET"]),
        Route(f"{uploads}/{{upload_id}}/initialize-clip", _route(_initialize), methods=["POST"]),
        Route("/suno/persona/create/", _route(_persona), methods=["POST"]),
        Route("/suno/persona/create", _route(_persona), methods=["POST"]),
        *act_routes(),
    ]
