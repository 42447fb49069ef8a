"""Routes of the Kling family (spec §3.1), at Kling's own paths and again under ``/kling`` (as aggregators
re-expose them): create, query one, list per kind; and the signed result links.

Every JSON answer is Kling's ``{code, message, request_id, data}`` envelope; errors too (:mod:`.errors`).
``POST /v1/images/generations`` is also OpenAI's: :mod:`.shared_paths` tells the two apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.errors import OmniRelayError
from omnirelay.families.kling.api.context import base_url, caller_of, services
from omnirelay.families.kling.api.errors import envelope_response, error_response
from omnirelay.families.kling.api.media import kling_media
from omnirelay.families.kling.api.shared_paths import images_or_openai
from omnirelay.families.kling.queries import page_of
from omnirelay.families.kling.service import SubmitContext
from omnirelay.families.kling.upstream import KlingKind
from omnirelay.families.kling.wire import envelope

__all__ = ["PATHS", "create_handler", "kling_routes"]

PATHS: dict[KlingKind, str] = {
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
    "images": "/v1/images/generations",
}
Handler = Callable[[Request], Awaitable[Response]]


def create_handler(kind: KlingKind) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
            ctx = SubmitContext(caller, base_url(request, runtime), request.scope["path"])  # = url.path, unbuilt
            return envelope_response(envelope(await services(runtime).submissions.submit(kind, body, ctx)))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


def _query(kind: KlingKind) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            task = await services(runtime).queries.get(kind, request.path_params["task_id"], caller)
            return envelope_response(envelope(task))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


def _list(kind: KlingKind) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            number, size = page_of(request.query_params.get("pageNum"), request.query_params.get("pageSize"))
            return envelope_response(envelope(await services(runtime).queries.list(kind, caller, number, size)))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


def kling_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for prefix in ("/kling", ""):
        for kind, path in PATHS.items():
            create = (
                images_or_openai(create_handler(kind)) if (prefix, kind) == ("", "images") else create_handler(kind)
            )
            routes += [
                Route(prefix + path, create, methods=["POST"]),
                Route(prefix + path, _list(kind), methods=["GET"]),
                Route(prefix + path + "/{task_id}", _query(kind), methods=["GET"]),
            ]
    routes.append(Route("/kling/media/{task_id}/{word}/{n}", kling_media, methods=["GET"]))
    return routes
