"""``GET /suno/media/{task_id}/{n}/{kind}`` (a clip's audio, video or cover) and
``GET /suno/media/act/{task_id}/{clip_id}/{wav|mp4}`` (its ``act`` exports): signed, keyless, streamed through.

The upstream's file is relayed chunk by chunk as it arrives (never held whole); a client that
goes away stops the upstream read. A ``Range`` (a browser seeking in the audio) is passed on
to the upstream and its 206 relayed (``api/relayed_media.py``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import OmniRelayError
from omnirelay.families.suno.api.context import services
from omnirelay.families.suno.api.errors import error_response
from omnirelay.integers import INT32_MAX, optional_whole_number
from omnirelay.runtime import Runtime

__all__ = ["act_media", "clip_media"]


async def clip_media(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    params = request.path_params
    try:
        n = optional_whole_number(params["n"], "n", high=INT32_MAX) or 0
        stream = await services(runtime).media.open(
            params["task_id"], n, params["kind"], request.query_params.get("sig", ""), asked_range(request)
        )
    except OmniRelayError as exc:
        return error_response(exc)
    return MediaResponse(stream, f"{params['task_id']}-{n}-{params['kind']}")


async def act_media(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    params = request.path_params
    try:
        stream = await services(runtime).media.open_act(
            params["task_id"],
            params["clip_id"],
            params["kind"],
            request.query_params.get("sig", ""),
            asked_range(request),
        )
    except OmniRelayError as exc:
        return error_response(exc)
    return MediaResponse(stream, f"{params['clip_id']}-{params['kind']}")
