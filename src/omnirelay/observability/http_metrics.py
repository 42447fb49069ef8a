"""Pure ASGI middleware counting every request by its route *template* (``/v1/responses/{id}``).

Labels stay bounded: the path a client sends never becomes a label, only the template of the
route that answered it (``unmatched`` for a 404 no route knew). The label children are kept per
(route, method, status), so a request costs two dictionary lookups and two increments.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnirelay.observability.metrics import Metrics

__all__ = ["RequestMetrics", "route_templates"]

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


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics, templates: dict[int, str]) -> None:
        self.app = app
        self._metrics = metrics
        self._templates = templates
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        in_flight = self._metrics.in_flight
        in_flight.inc()

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            in_flight.dec()
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        endpoint = scope.get("endpoint")
        route = self._templates.get(id(endpoint), UNMATCHED) if endpoint is not None else UNMATCHED
        method = scope["method"] if scope["method"] in _METHODS else "other"
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self._metrics.requests.labels(route, method, str(status)),
                self._metrics.duration.labels(route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
