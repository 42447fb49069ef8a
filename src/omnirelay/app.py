"""``create_app(settings)``: the ASGI application, with its runtime opened in the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TextIO

import orjson
import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api import health
from omnirelay.api.access_log import AccessLog
from omnirelay.api.admin.routes import admin_routes
from omnirelay.api.anthropic.models import models_list, models_retrieve
from omnirelay.api.anthropic.routes import anthropic_routes
from omnirelay.api.client_writes import ClientWriteTimeout
from omnirelay.api.gemini.routes import gemini_routes
from omnirelay.api.metrics import metrics_endpoint
from omnirelay.api.openai.audio import speech, transcriptions, translations
from omnirelay.api.openai.chat import chat_completions
from omnirelay.api.openai.embeddings import embeddings
from omnirelay.api.openai.errors import openai_error_response
from omnirelay.api.openai.files import files_routes
from omnirelay.api.openai.images import images_routes
from omnirelay.api.openai.legacy import completions, moderations
from omnirelay.api.openai.rerank import rerank_v1, rerank_v2
from omnirelay.api.platform.routes import platform_routes
from omnirelay.api.responses.routes import responses_routes
from omnirelay.console.routes import console_routes
from omnirelay.errors import OmniRelayError
from omnirelay.families.plugins import family_routes
from omnirelay.logging_setup import LineWriter, line_writer
from omnirelay.observability.http_metrics import RequestMetrics, RouteObserver, route_templates
from omnirelay.observability.metrics import Metrics
from omnirelay.observability.runtime_collector import RuntimeCollector
from omnirelay.observability.shared_metrics import SharedMetrics, WorkerSlot
from omnirelay.observability.tracing import open_tracing
from omnirelay.openapi import openapi_json
from omnirelay.runtime import Runtime
from omnirelay.settings import Settings

if TYPE_CHECKING:
    from omnirelay.observability.otel import Tracing

__all__ = ["create_app"]

log = structlog.get_logger(__name__)


def _routes() -> list[BaseRoute]:
    """Every route, the busiest first: Starlette tries them in order, so the LLM calls that carry
    nearly all traffic match after a handful of checks instead of after every family's routes."""
    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        *responses_routes(),
        *anthropic_routes(),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/moderations", moderations, methods=["POST"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *family_routes(),  # before Gemini's POST /v1/models/{target:path}: Replicate's /v1/models/{o}/{n}/predictions
        *gemini_routes(),  # before /v1/models: a Gemini key gets Gemini's list
        Route("/v1/models", models_list, methods=["GET"]),  # OpenAI's shape, Anthropic's with anthropic-version
        Route("/v1/models/{model:path}", models_retrieve, methods=["GET"]),
        *files_routes(),
        *images_routes(),  # after the families: Kling answers its own bodies on /v1/images/generations
        Route("/v1/audio/speech", speech, methods=["POST"]),
        Route("/v1/audio/transcriptions", transcriptions, methods=["POST"]),
        Route("/v1/audio/translations", translations, methods=["POST"]),
        Route("/v1/rerank", rerank_v1, methods=["POST"]),
        Route("/v2/rerank", rerank_v2, methods=["POST"]),
        *admin_routes(),
        *platform_routes(),
        *console_routes(),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error = {"message": exc.detail, "type": "invalid_request_error", "param": None, "code": None}
    if exc.status_code == 404:
        error["message"] = f"Unknown request URL: {request.method} {request.url.path}."
        error["code"] = "unknown_url"
    return Response(orjson.dumps({"error": error}), status_code=exc.status_code, media_type="application/json")


async def _unexpected(request: Request, exc: Exception) -> Response:
    """A fault of ours: logged with its traceback, answered in the error shape clients parse."""
    log.exception("unhandled error", path=request.url.path, exc_info=exc)
    error = {"message": "The gateway failed unexpectedly; the call was not billed.", "type": "server_error"}
    body = {"error": {**error, "param": None, "code": "internal_error"}}
    return Response(orjson.dumps(body), status_code=500, media_type="application/json")


def _tagged(write: LineWriter, worker: int) -> LineWriter:
    """Access lines that say which worker process answered (``omnirelay serve --workers``)."""

    def tagged(event: str, fields: dict[str, Any]) -> None:
        fields["worker"] = worker
        write(event, fields)

    return tagged


def _shared_metrics(worker: WorkerSlot | None, metrics: Metrics) -> SharedMetrics | None:
    """With several workers: ``metrics`` continue the counts of this slot's previous worker and
    ``/metrics`` answers every worker's totals."""
    if worker is None:
        return None
    shared = SharedMetrics(worker, metrics)
    shared.seed()
    shared.install()
    return shared


def _traced_requests(tracing: Tracing | None, templates: dict[int, str]) -> list[Middleware]:
    """With tracing on: the server span of each request, outermost, so every line of a request is inside it."""
    if tracing is None:
        return []
    from omnirelay.observability.otel_server import TraceRequests

    return [Middleware(TraceRequests, tracing=tracing, templates=templates)]


def create_app(
    settings: Settings,
    *,
    on_ready: Callable[[Runtime], None] | None = None,
    worker: WorkerSlot | None = None,
    log_stream: TextIO | None = None,
) -> Starlette:
    """The gateway. ``on_ready`` is called once the runtime is open (the CLI prints the admin key).
    ``worker``: this process is one of several workers (``/metrics`` answers the totals of all).
    ``log_stream``: where access lines go (stderr by default; the tests keep them in a file)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await Runtime.open(settings, metrics, tracing)
        app.state.runtime = runtime
        if shared is not None:
            shared.start(lambda: runtime.writer.backlog)
        backlog = shared.backlog_total if shared is not None else None
        collector = app.state.runtime_collector = RuntimeCollector(runtime, backlog)
        metrics.registry.register(collector)
        if on_ready is not None:
            on_ready(runtime)
        try:
            yield
        finally:
            metrics.registry.unregister(collector)
            try:
                await runtime.close()
            finally:
                if shared is not None:
                    await shared.stop()

    access = settings.log.access and settings.log.level in ("debug", "info")
    metrics = Metrics()
    shared = _shared_metrics(worker, metrics)
    tracing = open_tracing(settings.tracing)
    write = line_writer(settings.log, log_stream)
    write = write if worker is None else _tagged(write, worker.index)
    write = write if tracing is None else tracing.with_trace_ids(write)
    templates: dict[int, str] = {}  # filled below, once the routes exist; read per request
    observer = RouteObserver(metrics.http, templates)
    watch = (
        Middleware(AccessLog, write=write, observer=observer)
        if access
        else Middleware(RequestMetrics, observer=observer)
    )
    app = Starlette(
        routes=_routes(),
        lifespan=lifespan,
        middleware=[
            *_traced_requests(tracing, templates),
            watch,
            Middleware(ClientWriteTimeout, timeout_s=settings.relay.client_write_timeout_s),
        ],
        exception_handlers={
            OmniRelayError: openai_error_response,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.metrics = metrics
    templates.update(route_templates(app.routes))
    return app
