"""``/metrics`` across worker processes: each worker shares its counters through a directory.

``omnirelay serve --workers N`` gives every worker a slot (0 to N-1, kept by the worker that
replaces a dead one) and one directory for the whole gateway. A worker writes its counters to
``worker-<slot>.json`` every ``metrics.workers_interval_s`` and when it stops: one small file
write off the request path, so a request still costs a few dictionary updates and no lock or
system call. When scraped, a worker answers its own live counters plus the latest file of every
other slot, so whichever worker Prometheus reaches it sees the totals of all (at most one
interval behind for the others).

Dead workers: a finished worker's file stays, so what it counted stays in the totals. The
worker that takes over its slot starts from those counters, so a total never goes down
(only what the dead one counted after its last write is lost). Gauges (requests in flight,
open holds, the write-behind backlog) come from files written within the last
``_STALE_INTERVALS`` intervals (at least ``_STALE_MIN_S``: a busy loop may write late) only: a
dead worker is in flight no more.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from omnirelay.background import cancel_and_wait, every
from omnirelay.observability.metrics import CallStats, HttpStats, Metrics, StatsCollector
from omnirelay.observability.worker_snapshot import WorkerSnapshot, add_counters, decode, encode

__all__ = ["SharedMetrics", "WorkerSlot"]

log = structlog.get_logger(__name__)

_STALE_INTERVALS = 3
_STALE_MIN_S = 5.0
_PREFIX, _SUFFIX = "worker-", ".json"


@dataclass(frozen=True, slots=True)
class WorkerSlot:
    """Which worker this process is (``index``) and where the workers share their counters."""

    index: int
    directory: Path
    interval_s: float = 1.0

    def path(self, index: int | None = None) -> Path:
        return self.directory / f"{_PREFIX}{self.index if index is None else index}{_SUFFIX}"


class SharedMetrics:
    """Publishes this worker's counters and answers ``/metrics`` with every worker's."""

    def __init__(self, slot: WorkerSlot, metrics: Metrics) -> None:
        self.slot = slot
        self.metrics = metrics
        self._backlog: Callable[[], int] = lambda: 0
        self._task: asyncio.Task[None] | None = None

    def install(self) -> None:
        """Make ``metrics.registry`` answer the totals of all workers instead of this one's counters."""
        registry = self.metrics.registry
        registry.unregister(self.metrics.stats)
        registry.register(_TotalsCollector(self))

    def seed(self) -> None:
        """Start from the counters the previous worker of this slot left (a restart after a crash)."""
        previous = _read(self.slot.path())
        if previous is not None:
            add_counters(self.metrics.http, self.metrics.calls, previous)

    def start(self, backlog: Callable[[], int]) -> None:
        self._backlog = backlog
        self.publish()
        job = every(self.slot.interval_s, self._publish_async, log=log, failure="could not share this worker's metrics")
        self._task = asyncio.create_task(job, name="omnirelay-shared-metrics")

    async def stop(self) -> None:
        """Stop publishing; the last write keeps what this worker counted in the others' totals."""
        await cancel_and_wait(self._task)
        self._task = None
        try:
            self.publish()
        except OSError as exc:  # stopping anyway: the others keep this worker's previous counts
            log.warning("could not share this worker's last metrics", error=str(exc))

    async def _publish_async(self) -> None:
        self.publish()

    def publish(self) -> None:
        """Write this worker's counters (to a temporary file, renamed over the last one)."""
        metrics = self.metrics
        snapshot = WorkerSnapshot(os.getpid(), time.time(), metrics.http, metrics.calls, self._backlog())
        target = self.slot.path()
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(encode(snapshot))
        temporary.replace(target)

    def others(self) -> list[WorkerSnapshot]:
        """The latest snapshot of every other slot."""
        found = []
        for path in self.slot.directory.glob(f"{_PREFIX}*{_SUFFIX}"):
            if path != self.slot.path():
                snapshot = _read(path)
                if snapshot is not None:
                    found.append(snapshot)
        return found

    def fresh(self, snapshots: list[WorkerSnapshot]) -> list[WorkerSnapshot]:
        """Those written recently enough for their gauges to count."""
        oldest = time.time() - max(_STALE_MIN_S, _STALE_INTERVALS * self.slot.interval_s)
        return [snapshot for snapshot in snapshots if snapshot.at >= oldest]

    def backlog_total(self) -> int:
        """Rows every live worker answered but has not committed yet."""
        return self._backlog() + sum(s.backlog for s in self.fresh(self.others()))


def _read(path: Path) -> WorkerSnapshot | None:
    try:
        return decode(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring an unreadable worker metrics file", path=str(path), error=str(exc))
        return None


class _TotalsCollector(Collector):
    """This worker's live counters plus the other workers' latest snapshots."""

    def __init__(self, shared: SharedMetrics) -> None:
        self._shared = shared

    def collect(self) -> Iterator[Metric]:
        shared = self._shared
        mine = shared.metrics
        http, calls = HttpStats(), CallStats()
        http.in_flight, calls.open_holds = mine.http.in_flight, mine.calls.open_holds
        own = WorkerSnapshot(os.getpid(), time.time(), mine.http, mine.calls, 0)
        others = shared.others()
        for snapshot in (own, *others):
            add_counters(http, calls, snapshot)
        live = shared.fresh(others)
        for snapshot in live:
            http.in_flight += snapshot.http.in_flight
            calls.open_holds += snapshot.calls.open_holds
        yield from StatsCollector(http, calls).collect()
        yield GaugeMetricFamily(
            "omnirelay_workers",
            "Worker processes whose counters are current (this one included; server.workers).",
            value=1 + len(live),
        )
