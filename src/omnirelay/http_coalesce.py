"""One ``write`` for a response's head and the body that follows it at once.

uvicorn writes a response's status line and headers as soon as the application sends
``http.response.start``, then the body in a second ``transport.write``: two system calls (and, on
loopback, two deliveries to the client) for every plain response. :class:`CoalescingTransport`
stands between uvicorn's request cycle and the socket: it keeps the head back until the next
write, which goes out joined with it. A body that does not follow in the same turn of the event
loop (a stream still waiting for its first event) does not hold the head back: it is written on
the loop's next turn. The bytes and their order on the connection are unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["CoalescingTransport"]


_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class CoalescingTransport:
    """The parts of ``asyncio.Transport`` one uvicorn request cycle uses, over the connection's own.

    One per request cycle: its first write other than a ``100 Continue`` is the response's head."""

    __slots__ = ("_flush", "_head", "_headed", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._headed = False
        self._head: bytes | None = None
        self._flush: asyncio.Handle | None = None

    def write(self, data: bytes) -> None:
        head = self._head
        if head is not None:  # the body (or its first chunk) right behind the head: one write
            self._head = None
            if self._flush is not None:
                self._flush.cancel()
                self._flush = None
            self._transport.write(head + data if data else head)
        elif self._headed or data == _CONTINUE:
            self._transport.write(data)
        else:
            self._headed = True
            self._head = data
            self._flush = self._loop.call_soon(self._send_held)

    def _send_held(self) -> None:
        head, self._head, self._flush = self._head, None, None
        if head is not None:
            self._transport.write(head)

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
