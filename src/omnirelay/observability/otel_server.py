"""The server span of each request (imported only when ``tracing.enabled``).

A pure ASGI middleware, outermost, so the access line and every log line of the request are
written while its span is current. The span continues the client's trace when the request
carries a W3C ``traceparent``. At the end it is named after the route *template* that answered
(``POST /v1/chat/completions``) and carries the status, the request id, the account and the
key's name, and the model asked for; never the key.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnirelay.api.access_log import noted_caller, noted_model
from omnirelay.observability.http_metrics import UNMATCHED
from omnirelay.observability.otel import Tracing

__all__ = ["TraceRequests"]

_PROPAGATED = (b"traceparent", b"tracestate")
_REQUEST_ID = b"x-request-id"


class _Exchange:
    """``send`` for one request, noting the status and the request id it answered with."""

    __slots__ = ("_send", "request_id", "status")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0
        self.request_id = ""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", ()):
                if name == _REQUEST_ID:
                    self.request_id = value.decode("latin-1")
        await self._send(message)


class TraceRequests:
    """One ``SERVER`` span per HTTP request; ``templates`` maps endpoints to their route template."""

    def __init__(self, app: ASGIApp, tracing: Tracing, templates: dict[int, str]) -> None:
        self.app = app
        self._tracer = tracing.tracer
        self._propagator = tracing.propagator
        self._templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {name.decode(): value.decode("latin-1") for name, value in scope["headers"] if name in _PROPAGATED}
        parent = self._propagator.extract(carrier) if carrier else None
        span = self._tracer.start_span(
            scope["method"], context=parent, kind=SpanKind.SERVER, attributes=_request_attributes(scope)
        )
        token = otel_context.attach(trace.set_span_in_context(span, parent))
        exchange = _Exchange(send)
        if scope.get("state") is None:
            scope["state"] = {}
        try:
            await self.app(scope, receive, exchange)
        finally:
            self._end(span, scope, exchange)
            otel_context.detach(token)

    def _end(self, span: Span, scope: Scope, exchange: _Exchange) -> None:
        endpoint = scope.get("endpoint")
        route = self._templates.get(id(endpoint), UNMATCHED) if endpoint is not None else UNMATCHED
        status = exchange.status or 500
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if exchange.request_id:
            span.set_attribute("omnirelay.request_id", exchange.request_id)
        caller = noted_caller(scope)
        if caller is not None:
            span.set_attribute("omnirelay.account_id", caller.key.account_id)
            span.set_attribute("omnirelay.key_id", caller.key.id)
            span.set_attribute("omnirelay.key_name", caller.key.name)
        model = noted_model(scope)
        if model is not None:
            span.set_attribute("gen_ai.request.model", model)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
        span.end()


def _request_attributes(scope: Scope) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "http.request.method": scope["method"],
        "url.path": scope["path"],
        "url.scheme": scope.get("scheme", "http"),
    }
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    return attributes
