"""State the gateway already keeps, read when ``/metrics`` is scraped: nothing is counted twice.

- channel breaker states and whether each channel is enabled (memory, per process);
- rows the write-behind holds that the store has not committed yet (request logs, ledger entries);
- tasks not yet finished, by family and status, and webhook deliveries not yet delivered (the
  store: read at most every ``STORE_READ_INTERVAL_S`` however often the scraper asks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from omnirelay.db.tables import tasks, webhook_deliveries

if TYPE_CHECKING:
    from omnirelay.runtime import Runtime

__all__ = ["STORE_READ_INTERVAL_S", "RuntimeCollector"]

STORE_READ_INTERVAL_S = 5.0
_CLOSED, _OPEN, _TRIAL = 0, 1, 2
_FINISHED_TASKS = ("SUCCESS", "FAILURE", "CANCEL")
_PENDING_DELIVERY = ("pending",)


class RuntimeCollector(Collector):
    """Collects from one runtime; call :meth:`refresh` (async) before each scrape's ``collect``."""

    def __init__(self, runtime: Runtime, backlog: Callable[[], int] | None = None) -> None:
        """``backlog``: the write-behind backlog to report (every worker's, with several); this runtime's if unset."""
        self._runtime = runtime
        self._backlog = backlog or (lambda: runtime.writer.backlog)
        self._read_at = float("-inf")
        self._tasks: list[tuple[str, str, int]] = []
        self._deliveries = 0

    async def refresh(self) -> None:
        """Re-read the store's counts when the last read is older than ``STORE_READ_INTERVAL_S``."""
        now = time.monotonic()
        if now - self._read_at < STORE_READ_INTERVAL_S:
            return
        self._read_at = now
        async with self._runtime.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(tasks.c.family, tasks.c.status, sa.func.count())
                .where(tasks.c.status.not_in(_FINISHED_TASKS))
                .group_by(tasks.c.family, tasks.c.status)
            )
            self._tasks = [(family, status, count) for family, status, count in rows]
            pending = sa.select(sa.func.count()).where(webhook_deliveries.c.status.in_(_PENDING_DELIVERY))
            self._deliveries = int((await conn.execute(pending)).scalar_one())

    def collect(self) -> Iterator[Metric]:
        yield from self._channels()
        backlog = GaugeMetricFamily(
            "omnirelay_writebehind_backlog_rows",
            "Request log rows and ledger entries answered but not yet committed to the store.",
        )
        backlog.add_metric([], self._backlog())
        yield backlog
        queued = GaugeMetricFamily(
            "omnirelay_tasks_unfinished", "Tasks not yet finished, by family and status.", labels=["family", "status"]
        )
        for family, status, count in self._tasks:
            queued.add_metric([family, status], count)
        yield queued
        deliveries = GaugeMetricFamily(
            "omnirelay_webhook_backlog", "Webhook deliveries waiting for their first or next attempt."
        )
        deliveries.add_metric([], self._deliveries)
        yield deliveries

    def _channels(self) -> Iterator[Metric]:
        breakers = self._runtime.breakers
        state = GaugeMetricFamily(
            "omnirelay_channel_breaker_state",
            "Circuit breaker of each channel in this process: 0 closed, 1 open, 2 open and letting a trial through.",
            labels=["channel"],
        )
        enabled = GaugeMetricFamily(
            "omnirelay_channel_enabled",
            "1 when the channel serves traffic, 0 when disabled or auto-disabled.",
            labels=["channel"],
        )
        for channel in self._runtime.catalog.snapshot.channels.values():
            if breakers.closed(channel.id):
                value = _CLOSED
            else:
                value = _TRIAL if breakers.wait_s(channel.id) == 0 else _OPEN
            state.add_metric([channel.name], value)
            enabled.add_metric([channel.name], 1 if channel.usable else 0)
        yield state
        yield enabled
