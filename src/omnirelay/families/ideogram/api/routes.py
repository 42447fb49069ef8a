"""Routes of the Ideogram family (spec §4.2), at Ideogram's own paths and again under ``/ideogram``.

``POST /generate`` (JSON); ``/edit``, ``/remix``, ``/upscale``, ``/describe`` and
``/v1/ideogram-v3/{generate,edit,remix,reframe,replace-background}`` (multipart). The key is
Ideogram's ``Api-Key`` header, or ``Authorization: Bearer``. Errors: :mod:`.errors`.
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
from omnirelay.families.ideogram.api.errors import error_response, json_response
from omnirelay.families.ideogram.requests import FORM_OPERATIONS, IdeogramRequest, form_request, generate_request
from omnirelay.families.ideogram.service import IdeogramService
from omnirelay.families.ideogram.upstream import upstream_path
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["ideogram_routes"]

Handler = Callable[[Request], Awaitable[Response]]
Reader = Callable[[Request, Runtime], Awaitable[IdeogramRequest]]
_MAX_FILES = 12


def _caller(request: Request) -> tuple[Runtime, Caller]:
    token = request.headers.get("api-key") or bearer_token(request.headers.get("authorization"))
    return identify(request, token)


async def _json(request: Request, runtime: Runtime) -> IdeogramRequest:
    body, size = await read_json(request, runtime.settings.server.max_body_bytes)
    return generate_request(body, size)


def _form(operation: str) -> Reader:
    async def read(request: Request, runtime: Runtime) -> IdeogramRequest:
        form = await read_form(request, runtime.settings.server.max_body_bytes, max_files=_MAX_FILES)
        return form_request(operation, form)

    return read


def _handler(read: Reader) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = _caller(request)
            checked = await read(request, runtime)
            note_model(request.scope, checked.billed.model)
            service = runtime.tasks.service("ideogram", IdeogramService)
            request_id = runtime.request_ids.next()
            answer = await service.run(caller, checked, request_id, base_url(request, runtime))
            return json_response(answer, headers={"x-request-id": request_id})
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


def ideogram_routes() -> list[BaseRoute]:
    readers: dict[str, Reader] = {"generate": _json} | {op: _form(op) for op in FORM_OPERATIONS}
    return [
        Route(prefix + upstream_path(operation), _handler(read), methods=["POST"])
        for prefix in ("", "/ideogram")
        for operation, read in readers.items()
    ]
