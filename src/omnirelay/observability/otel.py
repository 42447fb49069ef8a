"""The OpenTelemetry side of tracing; imported only when ``tracing.enabled`` (``tracing.py``).

:class:`Tracing` owns a tracer provider of its own (never the process-global one) that batches
spans to an OTLP/HTTP collector. Besides the server spans (``otel_server.py``) it gives:

* :meth:`Tracing.attempt`: the client span of one upstream attempt, made current while the
  attempt runs (the upstream request's ``traceparent`` names it). A failed attempt's span ends
  at once; the answering one stays open on the job until the job is settled or refunded
  (:class:`CallSpan`), so it carries the usage and, for a stream, the whole stream;
* :func:`add_trace_ids`: the structlog processor putting ``trace_id`` and ``span_id`` in a line;
* :meth:`Tracing.http_trace_config`: aiohttp's hook writing ``traceparent`` into upstream requests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from omnirelay.errors import OmniRelayError, UpstreamError

if TYPE_CHECKING:
    from omnirelay.channels.model import Channel
    from omnirelay.logging_setup import LineWriter
    from omnirelay.providers.base import Usage
    from omnirelay.relay.job import Job
    from omnirelay.settings import TracingSettings

__all__ = ["CallSpan", "Tracing", "add_trace_ids", "traces_url"]

T = TypeVar("T")

_OPERATIONS = {
    "chat.completions": "chat",
    "messages": "chat",
    "responses": "chat",
    "completions": "text_completion",
    "embeddings": "embeddings",
}
"""The gate's endpoint names -> ``gen_ai.operation.name``; other endpoints keep their own name."""

_PROVIDERS = {"openai": "openai", "anthropic": "anthropic", "gemini": "gcp.gemini", "azure": "azure.ai.openai"}
"""Channel types -> ``gen_ai.provider.name`` where the conventions name the provider; else the type."""

_MODEL = re.compile(rb'"model"\s*:\s*"([^"\\]{1,200})"')
_CLIENT_CLOSED = 499


def traces_url(endpoint: str | None) -> str | None:
    """``http://collector:4318`` -> ``http://collector:4318/v1/traces``; ``None`` lets the exporter read
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT`` (default ``localhost:4318``)."""
    if endpoint is None:
        return None
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def add_trace_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: the active span's ``trace_id`` and ``span_id`` (hex), when there is one."""
    ids = trace.get_current_span().get_span_context()
    if ids.is_valid:
        event["trace_id"] = format(ids.trace_id, "032x")
        event["span_id"] = format(ids.span_id, "016x")
    return event


class CallSpan:
    """The client span of the attempt that answered, ended with the job (``Job._close``)."""

    __slots__ = ("_span",)

    def __init__(self, span: Span) -> None:
        self._span = span

    def finish(self, usage: Usage, status: int, error: str | None) -> None:
        span = self._span
        span.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", usage.completion_tokens)
        span.set_attribute("omnirelay.call.status", status)
        if status >= 400 and status != _CLIENT_CLOSED:
            span.set_status(Status(StatusCode.ERROR, (error or "")[:200]))
        span.end()


class Tracing:
    """The provider, its exporter and the span makers; :meth:`shutdown` flushes what is left."""

    def __init__(self, settings: TracingSettings) -> None:
        sampler = ParentBased(TraceIdRatioBased(settings.sample_ratio))
        resource = Resource.create({SERVICE_NAME: settings.service_name})
        self.provider = TracerProvider(resource=resource, sampler=sampler)
        exporter = OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint))
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer = self.provider.get_tracer("omnirelay")
        self.propagator = TraceContextTextMapPropagator()

    def shutdown(self) -> None:
        """Export the spans still batched (bounded by the exporter's timeout), then stop."""
        self.provider.shutdown()

    def with_trace_ids(self, write: LineWriter) -> LineWriter:
        """``write`` (the access log's) adding the active span's ids to each line."""

        def traced(event: str, fields: dict[str, Any]) -> None:
            add_trace_ids(None, event, fields)
            write(event, fields)

        return traced

    def http_trace_config(self) -> aiohttp.TraceConfig:
        """For the upstream session: each request carries the current span as ``traceparent``."""
        config = aiohttp.TraceConfig()
        propagator = self.propagator

        async def on_request_start(_: aiohttp.ClientSession, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
            propagator.inject(params.headers)

        config.on_request_start.append(on_request_start)
        return config

    async def attempt(self, job: Job, channel: Channel, number: int, call: Awaitable[T]) -> T:
        """Await ``call`` (one upstream attempt) inside its client span."""
        span = self.tracer.start_span(
            f"{_OPERATIONS.get(job.endpoint, job.endpoint)} {channel.upstream_model(job.model)}",
            kind=SpanKind.CLIENT,
            attributes=_attempt_attributes(job, channel, number),
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        started = time.perf_counter()
        try:
            result = await call
        except BaseException as exc:
            _failed(span, exc)
            raise
        finally:
            otel_context.detach(token)
        span.set_attribute("omnirelay.attempt.outcome", "answered")
        _note_answer(span, result)
        if job.stream:
            first_ms = round((time.perf_counter() - started) * 1000, 1)
            span.add_event("gen_ai.first_chunk", {"omnirelay.time_to_first_chunk_ms": first_ms})
        if job.done:
            span.end()
        else:
            job.span = CallSpan(span)
        return result


def _attempt_attributes(job: Job, channel: Channel, number: int) -> dict[str, Any]:
    provider = _PROVIDERS.get(channel.type, channel.type)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": _OPERATIONS.get(job.endpoint, job.endpoint),
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,
        "gen_ai.request.model": channel.upstream_model(job.model),
        "omnirelay.channel.id": channel.id,
        "omnirelay.channel.name": channel.name,
        "omnirelay.channel.type": channel.type,
        "omnirelay.attempt": number,
        "omnirelay.stream": job.stream,
    }
    host = urlsplit(channel.base_url).hostname
    if host:
        attributes["server.address"] = host
    return attributes


def _failed(span: Span, exc: BaseException) -> None:
    """An attempt that did not answer: ``failed`` (the next channel is tried), ``refused`` (the
    request was at fault, no other channel is tried) or ``interrupted`` (cancelled, or our fault)."""
    if isinstance(exc, UpstreamError):
        outcome = "failed" if exc.retryable else "refused"
    else:
        outcome = "interrupted"
    span.set_attribute("omnirelay.attempt.outcome", outcome)
    span.set_attribute("error.type", exc.code if isinstance(exc, OmniRelayError) and exc.code else type(exc).__name__)
    message = exc.message if isinstance(exc, OmniRelayError) else type(exc).__name__
    span.set_status(Status(StatusCode.ERROR, message[:200]))
    span.end()


def _note_answer(span: Span, result: object) -> None:
    """``gen_ai.response.model`` from the answer's ``"model"`` field, when it has one (a whole
    body, ``raw``, or a stream's first events, ``first``)."""
    raw = getattr(result, "raw", None)
    if not isinstance(raw, bytes):
        first = getattr(result, "first", None)
        raw = b"".join(first) if isinstance(first, list) else None
    found = _MODEL.search(raw) if raw else None
    if found:
        span.set_attribute("gen_ai.response.model", found.group(1).decode("utf-8", "replace"))
