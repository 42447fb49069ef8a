"""``GET /replicate/files/{id}/{n}``: a prediction's n-th output file, signed, keyless, streamed through."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.served_media import served_headers
from omnirelay.api.sse import SSEResponse
from omnirelay.errors import OmniRelayError
from omnirelay.families.replicate.api.context import services
from omnirelay.families.replicate.api.errors import problem_response
from omnirelay.outbound.fetch import FetchedStream
from omnirelay.runtime import Runtime

__all__ = ["output_file"]


class FileResponse(SSEResponse):
    """The upstream file's bytes, served so they cannot run as a page here (:func:`served_headers`),
    plus the disconnect watch of :class:`SSEResponse` (a client that leaves stops the upstream read)."""

    def __init__(self, stream: FetchedStream, name: str) -> None:
        super().__init__(_chunks(stream), stream.aclose, [])
        self._headers = served_headers(stream.content_type, stream.length, name)


async def _chunks(stream: FetchedStream) -> AsyncGenerator[bytes, None]:
    async for chunk in stream.chunks():
        if chunk:
            yield chunk


async def output_file(request: Request) -> Response | FileResponse:
    runtime: Runtime = request.app.state.runtime
    task_id, n = request.path_params["task_id"], request.path_params["n"]
    try:
        stream = await services(runtime).files.open(task_id, n, request.query_params.get("sig", ""))
    except OmniRelayError as exc:
        return problem_response(exc)
    return FileResponse(stream, f"{task_id}-{n}")
