"""Counting every request by its route *template* (``/v1/responses/{response_id}``).

Labels stay bounded: the path a client sends never becomes a label, only the template of the
route that answered it (``unmatched`` for a 404 no route knew), and unusual methods count as
``other``. :class:`RouteObserver` is called by the one middleware that already watches each
response: the access log (``api/access_log.py``) when it is on, :class:`RequestMetrics` when it
is off, so a request never passes through two watching layers.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnirelay.observability.metrics import HttpStats

__all__ = ["RequestMetrics", "RouteObserver", "route_templates"]

UNMATCHED = "unmatched"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_templates(routes: Iterable[BaseRoute]) -> dict[int, str]:
    """``id(endpoint)`` -> the path template of the first route that serves it."""
    templates: dict[int, str] = {}
    for route in routes:
        if isinstance(route, Route):
            templates.setdefault(id(route.endpoint), route.path)
        elif isinstance(route, Mount):
            templates.setdefault(id(route.app), route.path + "/{path}")
    return templates


class RouteObserver:
    """Notes a request's start and, at its end, its route, method, status and duration."""

    def __init__(self, stats: HttpStats, templates: dict[int, str]) -> None:
        self._stats = stats
        self._templates = templates
        self._statuses: dict[int, str] = {}

    def started(self) -> None:
        self._stats.in_flight += 1

    def ended(self, scope: Scope, status: int, seconds: float) -> None:
        self._stats.in_flight -= 1
        endpoint = scope.get("endpoint")
        route = self._templates.get(id(endpoint), UNMATCHED) if endpoint is not None else UNMATCHED
        method = scope["method"] if scope["method"] in _METHODS else "other"
        text = self._statuses.get(status)
        if text is None:
            text = self._statuses[status] = str(status)
        self._stats.observe(route, method, text, seconds)


class _Status:
    """``send`` for one request, noting the status it answered."""

    __slots__ = ("_send", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)


class RequestMetrics:
    """Pure ASGI middleware feeding a :class:`RouteObserver` (used when the access log is off)."""

    def __init__(self, app: ASGIApp, observer: RouteObserver) -> None:
        self.app = app
        self._observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        self._observer.started()
        watched = _Status(send)
        try:
            await self.app(scope, receive, watched)
        finally:
            self._observer.ended(scope, watched.status, time.perf_counter() - started)
