"""``/suno/act/*`` (spec §2A): timing, MIDI and tags answer raw; WAV and MP4 in the envelope, with our links.

Errors come in the ``{code, message, data: null}`` envelope, like every other Suno route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.errors import OmniRelayError
from omnirelay.families.suno.api.context import base_url, caller_of, services
from omnirelay.families.suno.api.errors import envelope_response, error_response
from omnirelay.families.suno.wire import envelope
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime

__all__ = ["act_routes"]

Act = Callable[[Runtime, Request, Caller], Awaitable[Any]]


def _route(act: Act) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            return envelope_response(await act(runtime, request, caller))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


async def _timing(runtime: Runtime, request: Request, caller: Caller) -> Any:
    return await services(runtime).act.read("clip_timing", request.path_params["clip_id"], caller)


async def _midi(runtime: Runtime, request: Request, caller: Caller) -> Any:
    return await services(runtime).act.read("clip_midi", request.path_params["clip_id"], caller)


async def _wav(runtime: Runtime, request: Request, caller: Caller) -> Any:
    link = base_url(request, runtime)
    return envelope(await services(runtime).act.file("wav", request.path_params["clip_id"], caller, link))


async def _mp4(runtime: Runtime, request: Request, caller: Caller) -> Any:
    link = base_url(request, runtime)
    return envelope(await services(runtime).act.file("mp4", request.path_params["clip_id"], caller, link))


async def _tags(runtime: Runtime, request: Request, caller: Caller) -> Any:
    body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
    return await services(runtime).act.tags(body, caller)


def act_routes() -> list[BaseRoute]:
    return [
        Route("/suno/act/timing/{clip_id}", _route(_timing), methods=["GET"]),
        Route("/suno/act/wav/{clip_id}", _route(_wav), methods=["GET"]),
        Route("/suno/act/mp4/{clip_id}", _route(_mp4), methods=["GET"]),
        Route("/suno/act/midi/{clip_id}", _route(_midi), methods=["GET"]),
        Route("/suno/act/tags", _route(_tags), methods=["POST"]),
    ]
