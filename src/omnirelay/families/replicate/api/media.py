"""``GET /replicate/files/{id}/{n}``: a prediction's n-th output file, signed, keyless, streamed through.

Seekable: a ``Range`` is passed on to the upstream.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.errors import OmniRelayError
from omnirelay.families.replicate.api.context import services
from omnirelay.families.replicate.api.errors import problem_response
from omnirelay.runtime import Runtime

__all__ = ["output_file"]


async def output_file(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    task_id, n = request.path_params["task_id"], request.path_params["n"]
    try:
        stream = await services(runtime).files.open(
            task_id, n, request.query_params.get("sig", ""), byte_range=asked_range(request)
        )
    except OmniRelayError as exc:
        return problem_response(exc)
    return MediaResponse(stream, f"{task_id}-{n}")
