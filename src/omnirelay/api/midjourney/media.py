"""``GET /mj/image/{id}`` and ``GET /mj/video/{id}[/{n}[/thumbnail]]``: signed, keyless, streamed through.

The upstream's file is relayed chunk by chunk as it arrives (never held whole); a client that
goes away stops the upstream read.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.midjourney.errors import error_response
from omnirelay.api.sse import SSEResponse
from omnirelay.errors import OmniRelayError
from omnirelay.midjourney.upstream import MediaStream
from omnirelay.runtime import Runtime

__all__ = ["image", "video"]


class MediaResponse(SSEResponse):
    """The upstream file's bytes with its type and length, plus the disconnect watch of :class:`SSEResponse`."""

    def __init__(self, stream: MediaStream) -> None:
        super().__init__(_chunks(stream), stream.aclose, [])
        headers = [
            (b"content-type", stream.content_type.encode("latin-1")),
            (b"cache-control", b"private, max-age=86400"),
        ]
        if stream.length is not None:
            headers.append((b"content-length", str(stream.length).encode()))
        self._headers = headers


async def _chunks(stream: MediaStream) -> AsyncGenerator[bytes, None]:
    async for chunk in stream.chunks():
        if chunk:
            yield chunk


async def image(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    try:
        stream = await runtime.tasks.midjourney_media.image(
            request.path_params["task_id"], request.query_params.get("sig", "")
        )
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    return MediaResponse(stream)


async def video(request: Request) -> Response | MediaResponse:
    runtime: Runtime = request.app.state.runtime
    n = request.path_params.get("n")
    thumbnail = request.url.path.endswith("/thumbnail")
    try:
        stream = await runtime.tasks.midjourney_media.video(
            request.path_params["task_id"], request.query_params.get("sig", ""), n, thumbnail=thumbnail
        )
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    return MediaResponse(stream)
