"""One worker's counters as a file, and the sum of several workers' counters.

With ``omnirelay serve --workers N`` every worker writes what it counted (requests, latency
histograms, billed calls, tokens, spend, and its gauges) to a small JSON file now and then
(:mod:`omnirelay.observability.shared_metrics`); ``/metrics`` adds the files of the others to
its own live counters. Counters and histogram buckets are summed; the gauges are summed too
(requests in flight, open holds and the write-behind backlog of the whole gateway).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.observability.metrics import LATENCY_BUCKETS, CallStats, Histogram, HttpStats

__all__ = ["WorkerSnapshot", "add_counters", "decode", "encode"]

_VERSION = 1
_BUCKETS = len(LATENCY_BUCKETS) + 1


@dataclass(slots=True)
class WorkerSnapshot:
    """What one worker counted since it (or the worker it replaced) started, and its gauges then."""

    pid: int
    at: float
    """``time.time()`` when it was written: gauges of a worker that stopped writing are left out."""
    http: HttpStats
    calls: CallStats
    backlog: int


def encode(snapshot: WorkerSnapshot) -> bytes:
    http, calls = snapshot.http, snapshot.calls
    body = {
        "version": _VERSION,
        "pid": snapshot.pid,
        "at": snapshot.at,
        "backlog": snapshot.backlog,
        "in_flight": http.in_flight,
        "open_holds": calls.open_holds,
        "requests": [[*key, n] for key, n in http.requests.items()],
        "latency": [[route, h.counts, h.total] for route, h in http.latency.items()],
        "calls": [[*key, n] for key, n in calls.calls.items()],
        "duration": [[*key, h.counts, h.total] for key, h in calls.duration.items()],
        "tokens": [[*key, n] for key, n in calls.tokens.items()],
        "spend": [[model, n] for model, n in calls.spend.items()],
    }
    return orjson.dumps(body)


def _histogram(counts: Any, total: Any) -> Histogram:
    if not isinstance(counts, list) or len(counts) != _BUCKETS or not all(type(c) is int for c in counts):
        raise ValueError("histogram buckets do not match this version's")
    histogram = Histogram()
    histogram.counts = list(counts)
    histogram.total = float(total)
    return histogram


def _strings(values: list[Any], width: int) -> tuple[str, ...]:
    if len(values) != width or not all(isinstance(v, str) for v in values):
        raise ValueError("malformed label values")
    return tuple(values)


def decode(data: bytes) -> WorkerSnapshot:
    """The snapshot in ``data``; ``ValueError`` when it is not one this version wrote."""
    try:
        body = orjson.loads(data)
        if body.get("version") != _VERSION:
            raise ValueError("written by another version")
        http, calls = HttpStats(), CallStats()
        http.in_flight, calls.open_holds = int(body["in_flight"]), int(body["open_holds"])
        for *labels, n in body["requests"]:
            route, method, status = _strings(labels, 3)
            http.requests[(route, method, status)] = int(n)
        for route, counts, total in body["latency"]:
            http.latency[_strings([route], 1)[0]] = _histogram(counts, total)
        for *labels, n in body["calls"]:
            endpoint, model, channel, outcome = _strings(labels, 4)
            calls.calls[(endpoint, model, channel, outcome)] = int(n)
        for *labels, counts, total in body["duration"]:
            model, channel = _strings(labels, 2)
            calls.duration[(model, channel)] = _histogram(counts, total)
        for *labels, n in body["tokens"]:
            model, kind = _strings(labels, 2)
            calls.tokens[(model, kind)] = int(n)
        for model, n in body["spend"]:
            calls.spend[_strings([model], 1)[0]] = int(n)
        return WorkerSnapshot(int(body["pid"]), float(body["at"]), http, calls, int(body["backlog"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a worker snapshot: {exc}") from exc


def _add_histograms(target: dict[Any, Histogram], source: dict[Any, Histogram]) -> None:
    for key, histogram in source.items():
        mine = target.get(key)
        if mine is None:
            mine = target[key] = Histogram()
        mine.counts = [a + b for a, b in zip(mine.counts, histogram.counts, strict=True)]
        mine.total += histogram.total


def _add_counts(target: dict[Any, int], source: dict[Any, int]) -> None:
    for key, n in source.items():
        target[key] = target.get(key, 0) + n


def add_counters(http: HttpStats, calls: CallStats, source: WorkerSnapshot) -> None:
    """Add ``source``'s counters and histograms (not its gauges) into ``http`` and ``calls``."""
    _add_counts(http.requests, source.http.requests)
    _add_histograms(http.latency, source.http.latency)
    _add_counts(calls.calls, source.calls.calls)
    _add_histograms(calls.duration, source.calls.duration)
    _add_counts(calls.tokens, source.calls.tokens)
    _add_counts(calls.spend, source.calls.spend)
