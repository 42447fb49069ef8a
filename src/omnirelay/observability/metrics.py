"""The gateway's Prometheus metrics: plain counters on the hot path, exported when scraped.

Everything that counts runs on the event loop's one thread, so a request costs a few dictionary
updates and no lock (prometheus-client's instruments take one per increment). The counters are
turned into Prometheus families only when ``/metrics`` is scraped, by :class:`StatsCollector`, in
a registry of this app's own (none global). State that already lives elsewhere (breakers, the
write-behind, task queues, the webhook backlog) is read then too
(:mod:`omnirelay.observability.runtime_collector`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["LATENCY_BUCKETS", "CallStats", "Histogram", "HttpStats", "Metrics", "StatsCollector"]

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
"""Seconds: from the gateway's own sub-millisecond overhead up to a ten-minute generation."""


class Histogram:
    """Observations per bucket (not cumulative: summed when exported) and their sum."""

    __slots__ = ("counts", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.total += seconds

    def buckets(self) -> list[tuple[str, float]]:
        running, out = 0, []
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(float(bound)), float(running)))
        return out


class HttpStats:
    """Requests by (route template, method, status), latency by route, requests in flight."""

    __slots__ = ("in_flight", "latency", "requests")

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], int] = {}
        self.latency: dict[str, Histogram] = {}
        self.in_flight = 0

    def observe(self, route: str, method: str, status: str, seconds: float) -> None:
        key = (route, method, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        histogram = self.latency.get(route)
        if histogram is None:
            histogram = self.latency[route] = Histogram()
        histogram.observe(seconds)


class CallStats:
    """Billed calls: outcomes, duration, tokens by kind, spend, holds open now."""

    __slots__ = ("calls", "duration", "open_holds", "spend", "tokens")

    def __init__(self) -> None:
        self.calls: dict[tuple[str, str, str, str], int] = {}
        self.duration: dict[tuple[str, str], Histogram] = {}
        self.tokens: dict[tuple[str, str], int] = {}
        self.spend: dict[str, int] = {}
        self.open_holds = 0


class Metrics:
    """This app's counters and the registry ``/metrics`` exports."""

    def __init__(self) -> None:
        self.http = HttpStats()
        self.calls = CallStats()
        self.registry = CollectorRegistry(auto_describe=True)
        self.stats = StatsCollector(self.http, self.calls)
        self.registry.register(self.stats)


def _counter(
    name: str, doc: str, labels: list[str], values: Iterable[tuple[tuple[str, ...], int]]
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=labels)
    for key, value in values:
        family.add_metric(list(key), value)
    return family


def _histograms(name: str, doc: str, labels: list[str], values: Iterable[tuple[tuple[str, ...], Histogram]]) -> Metric:
    family = HistogramMetricFamily(name, doc, labels=labels)
    for key, histogram in values:
        family.add_metric(list(key), histogram.buckets(), histogram.total)
    return family


def _gauge(name: str, doc: str, value: int) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


class StatsCollector(Collector):
    """The counters as Prometheus families, built at scrape time."""

    def __init__(self, http: HttpStats, calls: CallStats) -> None:
        self._http = http
        self._calls = calls

    def collect(self) -> Iterator[Metric]:
        yield from self._http_families()
        yield from self._call_families()

    def _http_families(self) -> Iterator[Metric]:
        http = self._http
        yield _counter(
            "omnirelay_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            list(http.requests.items()),
        )
        yield _histograms(
            "omnirelay_http_request_duration_seconds",
            "Time from the request's arrival to the end of its response (streams: the last byte), by route.",
            ["route"],
            [((route,), h) for route, h in http.latency.items()],
        )
        yield _gauge(
            "omnirelay_http_requests_in_flight", "Requests being answered now (streams included).", http.in_flight
        )

    def _call_families(self) -> Iterator[Metric]:
        calls = self._calls
        yield _counter(
            "omnirelay_calls",
            "Billed calls by endpoint, model, channel and outcome (ok, client_closed, error).",
            ["endpoint", "model", "channel", "outcome"],
            list(calls.calls.items()),
        )
        yield _histograms(
            "omnirelay_call_duration_seconds",
            "Admission to settlement of one billed call (upstream time, failover included), by model and channel.",
            ["model", "channel"],
            list(calls.duration.items()),
        )
        yield _counter(
            "omnirelay_tokens",
            "Tokens used by billed calls, by model and kind (input, output, and the parts: cache_read, "
            "cache_write, reasoning, audio_in, audio_out, image_in).",
            ["model", "kind"],
            list(calls.tokens.items()),
        )
        yield _counter(
            "omnirelay_spend_microunits",
            "Micro-units charged, by model (after group multipliers).",
            ["model"],
            [((model,), value) for model, value in calls.spend.items()],
        )
        yield _gauge(
            "omnirelay_reservations_open",
            "Calls holding a reservation now (admitted, not yet settled).",
            calls.open_holds,
        )
