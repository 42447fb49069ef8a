"""Routes of the videos family (spec §5.1): ``/v1/videos`` as OpenAI answers it, and the unified
video query ``/v1/video/generations``; every error in OpenAI's shape (the app's handler).

Mounted after Kling's routes: ``/v1/videos/text2video`` and ``/v1/videos/image2video`` stay Kling's.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.access_log import note_model
from omnirelay.api.callers import base_url
from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.families.videos.api.intake import caller_of, read_create, services
from omnirelay.families.videos.service import ListQuery
from omnirelay.integers import optional_whole_number

__all__ = ["videos_routes"]

POLL_AFTER = "openai-poll-after-ms"


def _json(body: object, poll_after_ms: int | None = None) -> Response:
    headers = {POLL_AFTER: str(poll_after_ms)} if poll_after_ms is not None else None
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)


async def create_video(request: Request) -> Response:
    runtime, caller = caller_of(request)
    create = await read_create(request, runtime)
    note_model(request.scope, create.model)
    found = services(runtime)
    video = await found.videos.create(create, caller)
    return _json(video, found.poll_after_ms)


async def retrieve_video(request: Request) -> Response:
    runtime, caller = caller_of(request)
    found = services(runtime)
    return _json(await found.videos.get(request.path_params["video_id"], caller), found.poll_after_ms)


def _list_query(request: Request) -> ListQuery:
    params = request.query_params
    limit = optional_whole_number(params.get("limit"), "limit", low=0, high=100)
    order = params.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise InvalidRequest("order must be asc or desc.", param="order")
    return ListQuery(limit=20 if limit is None else limit, order=order, after=params.get("after") or None)


async def list_videos(request: Request) -> Response:
    runtime, caller = caller_of(request)
    return _json(await services(runtime).videos.listing(caller, _list_query(request)))


async def delete_video(request: Request) -> Response:
    runtime, caller = caller_of(request)
    return _json(await services(runtime).videos.delete(request.path_params["video_id"], caller))


async def video_content(request: Request) -> MediaResponse:
    runtime, caller = caller_of(request)
    variant = request.query_params.get("variant") or "video"
    stream, name = await services(runtime).videos.content(
        request.path_params["video_id"], caller, variant, asked_range(request)
    )
    return MediaResponse(stream, name)


async def remix_video(request: Request) -> Response:
    runtime, caller = caller_of(request)
    return _json(await services(runtime).videos.remix(request.path_params["video_id"], caller))


async def generation(request: Request) -> Response:
    runtime, caller = caller_of(request)
    found = services(runtime).generations
    return _json(await found.get(request.path_params["task_id"], caller, base_url(request, runtime)))


async def generations(request: Request) -> Response:
    runtime, caller = caller_of(request)
    params = request.query_params
    limit = optional_whole_number(params.get("limit"), "limit", low=1, high=100) or 20
    found = services(runtime).generations
    return _json(await found.listing(caller, limit, params.get("after") or None, base_url(request, runtime)))


async def generation_content(request: Request) -> MediaResponse:
    """A signed, keyless link to a video task's file (``variant`` ``video`` or ``thumbnail``)."""
    runtime = request.app.state.runtime
    task_id, params = request.path_params["task_id"], request.query_params
    variant = params.get("variant") or "video"
    found = services(runtime)
    record = await runtime.tasks.engine.read(task_id)
    if record is None or not found.links.verify(task_id, variant, params.get("sig", "")):
        raise NotFound(f"No video content {task_id} exists.")
    return MediaResponse(
        await found.files.open(record, variant, byte_range=asked_range(request)), f"{task_id}-{variant}"
    )


def videos_routes() -> list[BaseRoute]:
    return [
        Route("/v1/videos", create_video, methods=["POST"]),
        Route("/v1/videos", list_videos, methods=["GET"]),
        Route("/v1/videos/{video_id}", retrieve_video, methods=["GET"]),
        Route("/v1/videos/{video_id}", delete_video, methods=["DELETE"]),
        Route("/v1/videos/{video_id}/content", video_content, methods=["GET"]),
        Route("/v1/videos/{video_id}/remix", remix_video, methods=["POST"]),
        Route("/v1/video/generations", generations, methods=["GET"]),
        Route("/v1/video/generations/{task_id}", generation, methods=["GET"]),
        Route("/v1/video/generations/{task_id}/content", generation_content, methods=["GET"]),
    ]
