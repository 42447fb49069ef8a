"""``GET /kling/media/{task_id}/{video|image}/{n}``: a result file, signed, keyless, streamed through.

The upstream's file is relayed chunk by chunk as it arrives (never held whole); a client that
goes away stops the upstream read; a ``Range`` is passed on, so players can seek.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import OmniRelayError
from omnirelay.families.kling.api.context import services
from omnirelay.families.kling.api.errors import error_response
from omnirelay.integers import INT32_MAX, optional_whole_number
from omnirelay.runtime import Runtime

__all__ = ["kling_media"]


async def kling_media(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    params = request.path_params
    try:
        n = optional_whole_number(params["n"], "n", high=INT32_MAX) or 0
        stream = await services(runtime).media.open(
            params["task_id"], params["word"], n, request.query_params.get("sig", ""), byte_range=asked_range(request)
        )
    except OmniRelayError as exc:
        return error_response(exc)
    return MediaResponse(stream, f"{params['task_id']}-{params['word']}-{n}")
