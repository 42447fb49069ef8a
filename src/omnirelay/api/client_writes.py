"""Every write to a client under a time limit: a client that stops reading cannot hold a call for ever.

uvicorn's ``send`` waits for the client's socket to drain before it writes more, so a client that
keeps its connection open but reads nothing would make that wait endless: its call would never
end, its concurrency slot and its hold never come back. :class:`ClientWriteTimeout` bounds each
send by ``relay.client_write_timeout_s``; past it the send raises :class:`ClientStalled`. A
streamed response treats that like a disconnect (``api/sse.py``: what was delivered is billed,
the call's limits are released), and the request ends here without an error: uvicorn then closes
the connection. A send on a connection whose socket is not backed up writes at once and cannot
wait, so it needs no timer (``http_limits.WRITE_FLOW``).
"""

from __future__ import annotations

import asyncio

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnirelay.http_limits import WRITE_FLOW

__all__ = ["ClientStalled", "ClientWriteTimeout"]

log = structlog.get_logger(__name__)


class ClientStalled(Exception):
    """The client read nothing for ``relay.client_write_timeout_s`` while the gateway had more to send."""


class ClientWriteTimeout:
    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self._timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._timeout_s
        flow = scope.get(WRITE_FLOW)

        async def bounded(message: Message) -> None:
            if flow is not None and not flow.write_paused:
                await send(message)
                return
            timer = asyncio.timeout(limit)
            try:
                async with timer:
                    await send(message)
            except TimeoutError:
                if not timer.expired():
                    raise
                raise ClientStalled(f"the client read nothing for {limit:g} s (relay.client_write_timeout_s)") from None

        try:
            await self.app(scope, receive, bounded)
        except ClientStalled as exc:
            log.warning("a client stopped reading; its request was ended", path=scope.get("path"), reason=str(exc))
