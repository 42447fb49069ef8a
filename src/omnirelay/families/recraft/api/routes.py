"""Routes of the Recraft family (spec §4.3) under ``/recraft/v1``, where the OpenAI SDK sends them
(``OpenAI(base_url=f"{gateway}/recraft/v1")``): ``POST /images/generations`` (JSON) and
``/images/{imageToImage,inpaint,replaceBackground,generateBackground,eraseRegion,vectorize,
removeBackground,crispUpscale,creativeUpscale}`` (multipart), ``POST /styles`` (multipart: a custom
style, :mod:`..styles`) and ``GET /users/me`` (the key's account, :mod:`..account`).
``/v1/images/generations`` itself is
OpenAI's (and Kling's), never Recraft's. The key is ``Authorization: Bearer``. Errors: :mod:`.errors`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.access_log import note_model
from omnirelay.api.body import read_json
from omnirelay.api.callers import base_url, identify
from omnirelay.api.multipart import read_form
from omnirelay.errors import OmniRelayError
from omnirelay.families.recraft.account import user_view
from omnirelay.families.recraft.api.errors import error_response, json_response
from omnirelay.families.recraft.requests import OPERATIONS, RecraftRequest, form_request, generation_request
from omnirelay.families.recraft.service import RecraftService
from omnirelay.families.recraft.styles import MAX_REFERENCES, style_request
from omnirelay.relay.auth import bearer_token
from omnirelay.runtime import Runtime

__all__ = ["PREFIX", "ROOT", "recraft_routes"]

ROOT = "/recraft/v1"
PREFIX = f"{ROOT}/images/"
Handler = Callable[[Request], Awaitable[Response]]
Reader = Callable[[Request, Runtime], Awaitable[RecraftRequest]]
_MAX_FILES = 2


async def _json(request: Request, runtime: Runtime) -> RecraftRequest:
    body, size = await read_json(request, runtime.settings.server.max_body_bytes)
    return generation_request(body, size)


def _form(operation: str) -> Reader:
    async def read(request: Request, runtime: Runtime) -> RecraftRequest:
        form = await read_form(request, runtime.settings.server.max_body_bytes, max_files=_MAX_FILES)
        return form_request(operation, form)

    return read


def _handler(read: Reader) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = identify(request, bearer_token(request.headers.get("authorization")))
            checked = await read(request, runtime)
            note_model(request.scope, checked.billed.model)
            service = runtime.tasks.service("recraft", RecraftService)
            request_id = runtime.request_ids.next()
            answer = await service.run(caller, checked, request_id, base_url(request, runtime))
            return json_response(answer, headers={"x-request-id": request_id})
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


async def _styles(request: Request) -> Response:
    try:
        runtime, caller = identify(request, bearer_token(request.headers.get("authorization")))
        form = await read_form(request, runtime.settings.server.max_body_bytes, max_files=MAX_REFERENCES)
        checked = style_request(form)
        note_model(request.scope, checked.billed.model)
        service = runtime.tasks.service("recraft", RecraftService)
        request_id = runtime.request_ids.next()
        answer = await service.create_style(caller, checked, request_id)
        return json_response(answer, headers={"x-request-id": request_id})
    except OmniRelayError as exc:
        return error_response(exc)


async def _me(request: Request) -> Response:
    try:
        runtime, caller = identify(request, bearer_token(request.headers.get("authorization")))
        return json_response(await user_view(runtime.engine, runtime.ledger.balances, caller))
    except OmniRelayError as exc:
        return error_response(exc)


def recraft_routes() -> list[BaseRoute]:
    readers: dict[str, Reader] = {"generations": _json} | {op: _form(op) for op in OPERATIONS}
    routes: list[BaseRoute] = [
        Route(PREFIX + operation, _handler(read), methods=["POST"]) for operation, read in readers.items()
    ]
    return [*routes, Route(f"{ROOT}/styles", _styles, methods=["POST"]), Route(f"{ROOT}/users/me", _me)]
