"""A fake OpenTelemetry collector: ``POST /v1/traces`` (OTLP/HTTP, protobuf), spans kept in memory.

Needs the ``tracing`` extra (``opentelemetry-proto`` decodes the requests), so it is not exported
from :mod:`omnirelay.testing`; import it from here::

    collector = FakeCollector()
    with serve_in_thread(collector.app) as url:   # tracing.otlp_endpoint = url
        ...
        spans = collector.wait_for(lambda spans: len(spans) >= 3)
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["CollectedSpan", "FakeCollector"]

_KINDS = {
    Span.SPAN_KIND_INTERNAL: "internal",
    Span.SPAN_KIND_SERVER: "server",
    Span.SPAN_KIND_CLIENT: "client",
    Span.SPAN_KIND_PRODUCER: "producer",
    Span.SPAN_KIND_CONSUMER: "consumer",
}
_STATUSES = {Status.STATUS_CODE_UNSET: "unset", Status.STATUS_CODE_OK: "ok", Status.STATUS_CODE_ERROR: "error"}


@dataclass(frozen=True)
class CollectedSpan:
    """One span as the collector received it, ids in lowercase hex (``parent_id`` empty for a root)."""

    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    events: list[tuple[str, dict[str, Any]]]
    status: str
    status_message: str
    resource: dict[str, Any]
    start_ns: int
    end_ns: int


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs if isinstance(pair, KeyValue)}


def _span(span: Span, resource: dict[str, Any]) -> CollectedSpan:
    return CollectedSpan(
        name=span.name,
        kind=_KINDS.get(span.kind, "unspecified"),
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_id=span.parent_span_id.hex(),
        attributes=_attributes(span.attributes),
        events=[(event.name, _attributes(event.attributes)) for event in span.events],
        status=_STATUSES.get(span.status.code, "unset"),
        status_message=span.status.message,
        resource=resource,
        start_ns=span.start_time_unix_nano,
        end_ns=span.end_time_unix_nano,
    )


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


@dataclass
class FakeCollector:
    """Every span exported to it, in arrival order (``spans``); ``exports`` counts the requests."""

    spans: list[CollectedSpan] = field(default_factory=list)
    exports: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/traces", self._export, methods=["POST"])])

    async def _export(self, request: Request) -> Response:
        body = _decoded(await request.body(), request.headers.get("content-encoding", ""))
        message = ExportTraceServiceRequest.FromString(body)
        received: list[CollectedSpan] = []
        for resource_spans in message.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                received.extend(_span(span, resource) for span in scope_spans.spans)
        with self._lock:
            self.exports += 1
            self.spans.extend(received)
        answer = ExportTraceServiceResponse().SerializeToString()
        return Response(answer, media_type="application/x-protobuf")

    def wait_for(self, done: Callable[[list[CollectedSpan]], bool], timeout_s: float = 15.0) -> list[CollectedSpan]:
        """The spans once ``done(spans)`` holds (raises ``TimeoutError`` with what came, after ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while True:
            with self._lock:
                spans = list(self.spans)
            if done(spans):
                return spans
            if time.monotonic() > deadline:
                raise TimeoutError(f"the collector has {len(spans)} spans: {[s.name for s in spans]}")
            time.sleep(0.05)
