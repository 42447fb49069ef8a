"""``GET /kling/media/{task_id}/{video|image}/{n}``: a result file, signed, keyless, streamed through.

The upstream's file is relayed chunk by chunk as it arrives (never held whole); a client that
goes away stops the upstream read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.served_media import served_headers
from omnirelay.api.sse import SSEResponse
from omnirelay.errors import OmniRelayError
from omnirelay.families.kling.api.context import services
from omnirelay.families.kling.api.errors import error_response
from omnirelay.integers import INT32_MAX, optional_whole_number
from omnirelay.outbound.fetch import FetchedStream
from omnirelay.runtime import Runtime

__all__ = ["kling_media"]


class MediaResponse(SSEResponse):
    """The upstream file's bytes, served so they cannot run as a page here (:func:`served_headers`),
    plus the disconnect watch of :class:`SSEResponse`."""

    def __init__(self, stream: FetchedStream, name: str) -> None:
        super().__init__(_chunks(stream), stream.aclose, [])
        self._headers = served_headers(stream.content_type, stream.length, name)


async def _chunks(stream: FetchedStream) -> AsyncGenerator[bytes, None]:
    async for chunk in stream.chunks():
        if chunk:
            yield chunk


async def kling_media(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    params = request.path_params
    try:
        n = optional_whole_number(params["n"], "n", high=INT32_MAX) or 0
        stream = await services(runtime).media.open(
            params["task_id"], params["word"], n, request.query_params.get("sig", "")
        )
    except OmniRelayError as exc:
        return error_response(exc)
    return MediaResponse(stream, f"{params['task_id']}-{params['word']}-{n}")
