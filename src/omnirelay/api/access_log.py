"""The access log: one line per request, written when its response has finished (streams too).

method, path, redacted query, status, duration, client address, request id, account, key id
and model. Never the key: not the ``Authorization`` header, not ``key=`` nor ``sig=`` values.

The handlers leave the caller and the model in the request's ``scope["state"]`` as soon as they
know them (:func:`note_caller`, :func:`note_model`); the middleware reads them at the end. It
keeps one small object per request and writes no database row.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from omnirelay.logging_setup import LineWriter
    from omnirelay.observability.http_metrics import RouteObserver
    from omnirelay.relay.auth import Caller

__all__ = ["AccessLog", "note_caller", "note_model", "noted_caller", "noted_model", "redacted_query"]

_CALLER = "omnirelay.caller"
_MODEL = "omnirelay.model"
_REQUEST_ID = b"x-request-id"
_SECRET_NAME = re.compile(r"(?i)key|sig|token|secret|password|auth")
_MAX_QUERY = 512


def note_caller(scope: Scope, caller: Caller) -> None:
    """Remember who is calling, for the access line."""
    state = scope.get("state")
    if state is not None:
        state[_CALLER] = caller


def note_model(scope: Scope, model: object) -> None:
    """Remember the model asked for, for the access line (ignored unless it is a string)."""
    state = scope.get("state")
    if state is not None and isinstance(model, str):
        state[_MODEL] = model[:200]


def noted_caller(scope: Scope) -> Caller | None:
    """The caller :func:`note_caller` remembered, if any (the trace's server span reads it too)."""
    state = scope.get("state")
    return None if state is None else state.get(_CALLER)


def noted_model(scope: Scope) -> str | None:
    """The model :func:`note_model` remembered, if any."""
    state = scope.get("state")
    return None if state is None else state.get(_MODEL)


def redacted_query(query: bytes) -> str:
    """The query string (its first 512 characters), with the value of every parameter whose name
    suggests a secret, or that looks like a key (``sk-...``), replaced by ``[redacted]``."""
    parts = []
    for part in query.decode("latin-1")[:_MAX_QUERY].split("&"):
        name, _, value = part.partition("=")
        plain_name, plain_value = unquote_plus(name), unquote_plus(value).strip()
        if plain_name.strip().startswith("sk-"):
            part = "[redacted]"
        elif _SECRET_NAME.search(plain_name) or plain_value.startswith("sk-"):
            part = f"{name}=[redacted]"
        parts.append(part)
    return "&".join(parts)


class _Exchange:
    """``send`` for one request: passes every message on, noting the status and request id."""

    __slots__ = ("_send", "request_id", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.request_id: bytes | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", ()):
                if name == _REQUEST_ID:
                    self.request_id = value
                    break
        await self._send(message)


class AccessLog:
    """Pure ASGI middleware handing each request's line to ``write`` (:func:`~omnirelay.logging_setup.line_writer`)."""

    def __init__(self, app: ASGIApp, write: LineWriter, observer: RouteObserver | None = None) -> None:
        """``observer``: the request metrics, fed from here so a request passes one watching layer."""
        self.app = app
        self._write_line = write
        self._observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if scope.get("state") is None:
            scope["state"] = {}
        exchange = _Exchange(send)
        observer = self._observer
        if observer is not None:
            observer.started()
        try:
            await self.app(scope, receive, exchange)
        finally:
            if observer is not None:
                observer.ended(scope, exchange.status or 500, time.perf_counter() - started)
            self._write(scope, exchange, started)

    def _write(self, scope: Scope, exchange: _Exchange, started: float) -> None:
        """The line; fields nobody set (no key on a health check, no model) are left out."""
        fields: dict[str, Any] = {
            "method": scope["method"],
            "path": scope["path"],
            "status": exchange.status or 500,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if scope.get("client"):
            fields["client"] = scope["client"][0]
        if exchange.request_id:
            fields["request_id"] = exchange.request_id.decode("latin-1")
        state = scope["state"]
        caller: Caller | None = state.get(_CALLER)
        if caller is not None:
            fields["account"] = caller.key.account_id
            fields["key_id"] = caller.key.id
        if _MODEL in state:
            fields["model"] = state[_MODEL]
        if scope.get("query_string"):
            fields["query"] = redacted_query(scope["query_string"])
        self._write_line("request", fields)
