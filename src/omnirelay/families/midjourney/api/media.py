"""``GET /mj/image/{id}`` and ``GET /mj/video/{id}[/{n}[/thumbnail]]``: signed, keyless, streamed through.

The upstream's file is relayed chunk by chunk as it arrives (never held whole); a client that
goes away stops the upstream read. Videos honour a ``Range`` (seeking) by passing it on to the upstream.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import OmniRelayError
from omnirelay.families.midjourney.api.context import services
from omnirelay.families.midjourney.api.errors import error_response
from omnirelay.integers import INT32_MAX, optional_whole_number
from omnirelay.runtime import Runtime

__all__ = ["image", "video"]


async def image(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    try:
        stream = await services(runtime).media.image(
            request.path_params["task_id"], request.query_params.get("sig", "")
        )
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    return MediaResponse(stream, request.path_params["task_id"])


async def video(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    thumbnail = request.url.path.endswith("/thumbnail")
    try:
        n = optional_whole_number(request.path_params.get("n"), "n", high=INT32_MAX)
        stream = await services(runtime).media.video(
            request.path_params["task_id"],
            request.query_params.get("sig", ""),
            n,
            thumbnail=thumbnail,
            byte_range=asked_range(request),
        )
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    name = "-".join(str(part) for part in (request.path_params["task_id"], n) if part is not None)
    return MediaResponse(stream, f"{name}-thumbnail" if thumbnail else name)
