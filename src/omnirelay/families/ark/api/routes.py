"""Routes of the Ark family (spec §4.4, §4.5), at Ark's own paths (``/api/v3/...``) and again under
``/ark`` (``/ark/api/v3/...``, as aggregators re-expose them); and the signed Seedance result links.

Every answer is Ark's own shape; errors too (:mod:`.errors`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import OmniRelayError
from omnirelay.families.ark.api.context import base_url, caller_of, services
from omnirelay.families.ark.api.errors import error_response, json_response
from omnirelay.families.ark.image_service import ImageCall
from omnirelay.families.ark.queries import list_query
from omnirelay.families.ark.video_service import SubmitContext
from omnirelay.runtime import Runtime

__all__ = ["IMAGES_PATH", "PREFIXES", "TASKS_PATH", "ark_routes"]

IMAGES_PATH = "/api/v3/images/generations"
TASKS_PATH = "/api/v3/contents/generations/tasks"
PREFIXES = ("", "/ark")
Handler = Callable[[Request], Awaitable[Response]]


def _answering(work: Callable[[Request], Awaitable[object]]) -> Handler:
    """A handler answering ``work``'s JSON, or the error in Ark's shape."""

    async def handler(request: Request) -> Response:
        try:
            return json_response(await work(request))
        except OmniRelayError as exc:
            return error_response(exc)

    return handler


async def _images(request: Request) -> object:
    runtime, caller = caller_of(request)
    body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
    call = ImageCall(caller, runtime.request_ids.next(), base_url(request, runtime), "ark.images.generations")
    return await services(runtime).images.generate(body, call)


async def _create(request: Request) -> object:
    runtime, caller = caller_of(request)
    body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
    ctx = SubmitContext(caller, base_url(request, runtime), "ark.contents.generations")
    return await services(runtime).videos.submit(body, ctx)


async def _get(request: Request) -> object:
    runtime, caller = caller_of(request)
    return await services(runtime).queries.get(request.path_params["task_id"], caller)


async def _list(request: Request) -> object:
    runtime, caller = caller_of(request)
    params = request.query_params
    query = list_query(
        params.get("page_num"),
        params.get("page_size"),
        params.get("filter.status"),
        params.getlist("filter.task_ids"),
        params.get("filter.model"),
    )
    return await services(runtime).queries.list(caller, query)


async def _delete(request: Request) -> object:
    runtime, caller = caller_of(request)
    await services(runtime).removal.delete(request.path_params["task_id"], caller)
    return {}


async def _media(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    task_id, word = request.path_params["task_id"], request.path_params["word"]
    try:
        stream = await services(runtime).media.open(
            task_id, word, request.query_params.get("sig", ""), byte_range=asked_range(request)
        )
    except OmniRelayError as exc:
        return error_response(exc)
    return MediaResponse(stream, f"{task_id}-{word}")


def ark_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for prefix in PREFIXES:
        routes += [
            Route(prefix + IMAGES_PATH, _answering(_images), methods=["POST"]),
            Route(prefix + TASKS_PATH, _answering(_create), methods=["POST"]),
            Route(prefix + TASKS_PATH, _answering(_list), methods=["GET"]),
            Route(prefix + TASKS_PATH + "/{task_id}", _answering(_get), methods=["GET"]),
            Route(prefix + TASKS_PATH + "/{task_id}", _answering(_delete), methods=["DELETE"]),
        ]
    routes.append(Route("/ark/media/{task_id}/{word}", _media, methods=["GET"]))
    return routes
