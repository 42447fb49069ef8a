"""An ASGI response that pumps server-sent event frames and notices when the client goes away.

uvicorn's ``send`` returns silently after a disconnect, so the response also listens on
``receive`` and stops pumping (cancelling the upstream read) as soon as the client is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable

from starlette.types import Receive, Scope, Send

__all__ = ["SSEResponse"]

_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class SSEResponse:
    def __init__(
        self,
        frames: AsyncGenerator[bytes, None],
        finish: Callable[[], Awaitable[None]],
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        self._frames = frames
        self._finish = finish
        self._headers = _HEADERS + headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pump = asyncio.ensure_future(self._pump(send))
        watch = asyncio.ensure_future(_wait_for_disconnect(receive))
        try:
            await asyncio.wait({pump, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pump, watch):
                task.cancel()
            outcome, _ = await asyncio.gather(pump, watch, return_exceptions=True)
            with contextlib.suppress(RuntimeError):  # a generator still running cannot be closed
                await self._frames.aclose()
            await self._finish()  # settles the bill whatever happened above
        if isinstance(outcome, Exception):
            raise outcome

    async def _pump(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self._headers})
        async for frame in self._frames:
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
