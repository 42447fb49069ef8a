"""The gateway's Prometheus instruments, in a registry of its own (one per app, none global).

Request counters and latency are recorded by :class:`~omnirelay.observability.http_metrics.RequestMetrics`
as each response ends; state that already lives elsewhere (breakers, the write-behind, task
queues, the webhook backlog) is read when ``/metrics`` is scraped
(:mod:`omnirelay.observability.runtime_collector`), so the hot path pays for nothing it does not use.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["LATENCY_BUCKETS", "CallMetrics", "Metrics"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
"""Seconds: from the gateway's own sub-millisecond overhead up to a ten-minute generation."""


class Metrics:
    """Every instrument, registered on :attr:`registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "omnirelay_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.duration = Histogram(
            "omnirelay_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response (streams: the last byte), by route.",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "omnirelay_http_requests_in_flight",
            "Requests being answered now (streams included).",
            registry=self.registry,
        )
        self.calls = CallMetrics(self.registry)


class CallMetrics:
    """What billed calls did, recorded once per call when its outcome is known (``relay/job.py``).

    Labels are bounded by the catalog: ``model`` is a served model (unknown ones are refused before
    a call exists), ``channel`` a configured channel's name (``none`` when no channel answered).
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "omnirelay_calls",
            "Billed calls by endpoint, model, channel and outcome (ok, client_closed, error).",
            ("endpoint", "model", "channel", "outcome"),
            registry=registry,
        )
        self.duration = Histogram(
            "omnirelay_call_duration_seconds",
            "Admission to settlement of one billed call (upstream time, failover included), by model and channel.",
            ("model", "channel"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.tokens = Counter(
            "omnirelay_tokens",
            "Tokens used by billed calls, by model and kind (input, output, and the parts: cache_read, "
            "cache_write, reasoning, audio_in, audio_out, image_in).",
            ("model", "kind"),
            registry=registry,
        )
        self.spend = Counter(
            "omnirelay_spend_microunits",
            "Micro-units charged, by model (after group multipliers).",
            ("model",),
            registry=registry,
        )
        self.open_holds = Gauge(
            "omnirelay_reservations_open",
            "Calls holding a reservation now (admitted, not yet settled or refunded).",
            registry=registry,
        )
