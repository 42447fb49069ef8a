"""Routes of the Suno family (spec §2A): submits, fetches, and the signed media links.

Every JSON answer is the ``{code, message, data}`` envelope; errors too (:mod:`.errors`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.errors import OmniRelayError
from omnirelay.families.suno.api.account_routes import account_routes
from omnirelay.families.suno.api.context import base_url, caller_of, services
from omnirelay.families.suno.api.errors import envelope_response, error_response
from omnirelay.families.suno.api.media import act_media, clip_media
from omnirelay.families.suno.queries import fetch_ids
from omnirelay.families.suno.service import SubmitContext
from omnirelay.families.suno.wire import envelope

__all__ = ["suno_routes"]

_ACTIONS = ("music", "lyrics", "concat")


def _submit(action: str) -> Callable[[Request], Awaitable[Response]]:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
            ctx = SubmitContext(caller, base_url(request, runtime))
            return envelope_response(envelope(await services(runtime).submissions.submit(action, body, ctx)))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


async def fetch_one(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        task = await services(runtime).queries.fetch(request.path_params["task_id"], caller)
        return envelope_response(envelope(task))
    except OmniRelayError as exc:
        return error_response(exc)


async def fetch_many(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
        ids, action = fetch_ids(body)
        return envelope_response(envelope(await services(runtime).queries.fetch_many(ids, action, caller)))
    except OmniRelayError as exc:
        return error_response(exc)


def suno_routes() -> list[BaseRoute]:
    return [
        *[Route(f"/suno/submit/{action}", _submit(action), methods=["POST"]) for action in _ACTIONS],
        Route("/suno/fetch/{task_id}", fetch_one, methods=["GET"]),
        Route("/suno/fetch", fetch_many, methods=["POST"]),
        Route("/suno/media/act/{task_id}/{clip_id}/{kind}", act_media, methods=["GET"]),
        Route("/suno/media/{task_id}/{n}/{kind}", clip_media, methods=["GET"]),
        *account_routes(),
    ]
