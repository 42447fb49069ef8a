"""Limits on what a client may make the server hold before the application sees a request.

uvicorn's httptools protocol accepts a request head of any size (a 128 MiB header is buffered
whole, stalling the event loop for everyone) and waits forever for a head that never completes.
:func:`guarded_protocol` makes a subclass of it that answers

* **431** when the request line plus headers grow past ``server.max_header_bytes``, or a request
  carries more than ``server.max_headers`` fields (counted while the head arrives, so at most one
  read beyond the limit is ever buffered);
* **408** when a head is not complete ``server.header_timeout_s`` after the connection opened or
  after the first byte of a further request on a kept-alive connection (a connection that sent
  nothing at all is closed without an answer);

and closes the connection. Idle kept-alive connections close after
``server.keep_alive_timeout_s`` (uvicorn's own keep-alive timer). A request arriving while the
process holds more than ``server.max_connections`` client connections gets uvicorn's **503**
(``limit_concurrency``) and its connection is closed: a flood of connections costs a refusal each,
not memory and file descriptors without end (:func:`connection_limit`). Subclassing follows uvicorn's
``HttpToolsProtocol`` (0.30 and later): ``data_received`` repeats its few lines to tell our
refusals apart from malformed requests. Each request's head and body leave in one write
(``http_coalesce.py``).
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

import httptools
import structlog
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from omnirelay.http_coalesce import CoalescingTransport
from omnirelay.settings import ServerSettings

__all__ = ["WRITE_FLOW", "connection_limit", "guarded_protocol", "uvicorn_options"]

log = structlog.get_logger("omnirelay.http")

_LINGER_S = 2.0
"""How long a refused client may go on sending (dropped) before the connection is closed."""
_RESERVED_FILES = 100
"""Open files kept out of the automatic connection limit: the store, logs, the listening socket."""
_MIN_CONNECTIONS = 64
WRITE_FLOW = "omnirelay.write_flow"
"""The scope key of the connection's uvicorn flow control: a ``send`` while its ``write_paused`` is
false writes at once and cannot wait (``api/client_writes.py`` skips its timer then)."""


class _HeadRefused(Exception):
    """Raised from a parser callback to stop parsing a head we will not accept."""


class _GuardedProtocol(HttpToolsProtocol):
    max_header_bytes = 64 * 1024
    max_headers = 100
    header_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._parsed_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_since: float | None = None
        """When the head being waited for began (``None``: none is timed). One timer per connection
        is kept pending and re-armed when it fires early, rather than one timer per request."""
        self._discarding = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._in_head:
            self._head_bytes += len(data)
            if self._head_since is None:
                self._arm_head_timer()
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadRefused):
                self._refuse(431, str(exc.__context__))
            else:
                self._malformed()
            return
        except httptools.HttpParserError:
            self._malformed()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head and self._head_bytes > self.max_header_bytes:
            self._refuse(431, f"Request line and headers larger than {self.max_header_bytes} bytes.")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._header_count = 0
        self._parsed_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._parsed_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # a head that arrived in one read is complete before data_received can count it: its size
        # is counted here too (field names, values and the URL; the few separators aside)
        self._header_count += 1
        self._parsed_bytes += len(name) + len(value)
        if self._header_count > self.max_headers:
            raise _HeadRefused(f"More than {self.max_headers} header fields.")
        if self._parsed_bytes > self.max_header_bytes:
            raise _HeadRefused(f"Request line and headers larger than {self.max_header_bytes} bytes.")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._cancel_head_timer()
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport:  # a new request's cycle
            cycle.transport = CoalescingTransport(self.transport, self.loop)  # type: ignore[assignment]
            cycle.scope[WRITE_FLOW] = self.flow  # type: ignore[literal-required]

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True  # what comes next is the head of a further request
        self._head_bytes = 0

    def _arm_head_timer(self) -> None:
        """Time a head from now: it must be complete ``header_timeout_s`` later."""
        self._head_since = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_at(self._head_since + self.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        """Stop timing; a pending timer finds nothing to do when it fires."""
        self._head_since = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        since = self._head_since
        if since is None or self.transport.is_closing() or not self._in_head:
            return
        due = since + self.header_timeout_s
        if due > self.loop.time():  # this head began after the timer was set: wait for its own deadline
            self._head_timer = self.loop.call_at(due, self._head_timed_out)
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a pipelined head waits while we answer the one before
            return
        if self._head_bytes == 0:
            self.transport.close()  # an idle connection: nothing to answer
            return
        self._refuse(408, f"The request head did not arrive within {self.header_timeout_s:g} s.")

    def _malformed(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def _refuse(self, status: int, message: str) -> None:
        self._cancel_head_timer()
        client = self.client[0] if self.client else None
        log.warning("request refused before the application", status=status, reason=message, client=client)
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # answering an earlier request: just stop
            return
        body = message.encode("ascii")
        head = b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: "
        self.transport.write(b"".join([STATUS_LINE[status], head, str(len(body)).encode(), b"\r\n\r\n", body]))
        self._linger()

    def _linger(self) -> None:
        """Close after the answer, reading and dropping what the client still sends for a moment:
        closing with unread input makes the kernel reset the connection, and the client would
        see a reset instead of the answer."""
        self._discarding = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(_LINGER_S, self.transport.close)


def guarded_protocol(server: ServerSettings) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with ``server``'s head size, field count and time limits."""

    class GuardedHttpToolsProtocol(_GuardedProtocol):
        max_header_bytes = server.max_header_bytes
        max_headers = server.max_headers
        header_timeout_s = server.header_timeout_s

    return GuardedHttpToolsProtocol


def connection_limit(server: ServerSettings) -> int | None:
    """Client connections one process serves at once: ``server.max_connections``, else half the
    soft open-file limit (each served connection may need a second descriptor for its upstream call,
    and :data:`_RESERVED_FILES` stay for the store, logs and the listening socket). None: no limit."""
    if server.max_connections is not None:
        return server.max_connections
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(_MIN_CONNECTIONS, (soft - _RESERVED_FILES) // 2)


def uvicorn_options(server: ServerSettings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` enforcing ``server``'s limits."""
    limit = connection_limit(server)
    return {
        "http": guarded_protocol(server),
        "timeout_keep_alive": server.keep_alive_timeout_s,
        # uvicorn counts the connection a request arrives on: it refuses once it holds this many
        "limit_concurrency": None if limit is None else limit + 1,
    }
