"""An ASGI response that pumps server-sent event frames and notices when the client goes away.

uvicorn's ``send`` returns silently after a disconnect, so the response also listens on
``receive`` and stops pumping (cancelling the upstream read) as soon as the client is gone.
A client that stops reading ends the pump too (each write is bounded: ``api/client_writes.py``),
and so does the call's ``deadline``, whatever it was waiting for: in every case ``finish``
settles the call for what was delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Awaitable, Callable

import structlog
from starlette.types import Receive, Scope, Send

from omnirelay.settings import RelaySettings

__all__ = ["SSEResponse", "call_deadline"]

log = structlog.get_logger(__name__)

_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def call_deadline(started: float, relay: RelaySettings) -> float:
    """When a streamed call ends at the latest (``time.perf_counter`` time): ``relay.max_request_s``
    after it started, plus one write's grace for a last frame that says why."""
    return started + relay.max_request_s + relay.client_write_timeout_s


class SSEResponse:
    status: int = 200
    """The HTTP status sent; a relayed byte range (``api/relayed_media.py``) sends 206."""

    def __init__(
        self,
        frames: AsyncGenerator[bytes, None],
        finish: Callable[[], Awaitable[None]],
        headers: list[tuple[bytes, bytes]],
        *,
        deadline: float | None = None,
        media_type: bytes | None = None,
    ) -> None:
        """``media_type`` replaces ``text/event-stream`` for other streamed framings (Gemini's JSON array)."""
        self._frames = frames
        self._finish = finish
        self._headers = _HEADERS + headers
        if media_type is not None:
            self._headers = [(b"content-type", media_type), *_HEADERS[1:], *headers]
        self._deadline = deadline

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pump = asyncio.ensure_future(self._pump(send))
        watch = asyncio.ensure_future(_wait_for_disconnect(receive))
        left = None if self._deadline is None else max(0.0, self._deadline - time.perf_counter())
        try:
            done, _ = await asyncio.wait({pump, watch}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            if not done:
                log.warning("a stream reached its deadline (relay.max_request_s) and was ended")
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
        await send({"type": "http.response.start", "status": self.status, "headers": self._headers})
        async for frame in self._frames:
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
