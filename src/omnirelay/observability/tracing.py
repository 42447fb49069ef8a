"""OpenTelemetry traces, off by default (``tracing.enabled``): the one door to them.

When tracing is off, :func:`open_tracing` answers ``None`` and nothing of OpenTelemetry is
imported; the code on the request path holds ``None`` and pays one ``is None`` check. When it is
on, it imports :mod:`omnirelay.observability.otel` (the SDK and the OTLP/HTTP exporter, from the
``tracing`` extra) and returns its :class:`~omnirelay.observability.otel.Tracing`.

What is traced: one server span per request (``otel_server.py``), one client span per upstream
attempt, with the GenAI semantic-convention attributes (``otel.py``, called by the gate), the
trace and span ids in every log line written while a span is active, and the W3C
``traceparent`` header read from clients and sent to upstreams.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnirelay.observability.otel import Tracing
    from omnirelay.settings import TracingSettings

__all__ = ["TRACING_PACKAGES", "missing_tracing_packages", "open_tracing"]

TRACING_PACKAGES = {
    "opentelemetry.sdk.trace": "opentelemetry-sdk",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter": "opentelemetry-exporter-otlp-proto-http",
}
"""Module -> the PyPI package that brings it (both come with the ``tracing`` extra)."""


def missing_tracing_packages() -> list[str]:
    """The tracing packages that cannot be imported here (looked up, not imported, where possible)."""
    missing = []
    for module, package in TRACING_PACKAGES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a parent package is missing, or half installed
            found = False
        if not found:
            missing.append(package)
    return missing


def open_tracing(settings: TracingSettings) -> Tracing | None:
    """The tracer provider and its exporter when ``settings.enabled``, else ``None`` (nothing imported)."""
    if not settings.enabled:
        return None
    from omnirelay.observability.otel import Tracing

    return Tracing(settings)
