"""The dashboard's numbers, read from ``request_logs`` over a window (its ``created_at`` index):
requests, errors, spend and latency percentiles per model and per channel, and a series over time.

Percentiles come from a latency histogram counted by the store (the same SQL on SQLite and
PostgreSQL, no rows brought back): p50 and p99 are the upper edge of the bucket they fall in.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.db.tables import request_logs

__all__ = ["LATENCY_EDGES_MS", "WINDOWS", "GroupStats", "Point", "Window", "group_stats", "percentile", "series"]

LATENCY_EDGES_MS = (25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 20000, 60000, 120000)


@dataclass(frozen=True, slots=True)
class Window:
    name: str
    span_ms: int
    step_ms: int


WINDOWS = {
    "24h": Window("24h", 86_400_000, 3_600_000),
    "7d": Window("7d", 7 * 86_400_000, 6 * 3_600_000),
}


@dataclass(frozen=True, slots=True)
class GroupStats:
    key: Any
    requests: int
    errors: int
    spend: int
    p50_ms: int | None
    p99_ms: int | None


@dataclass(frozen=True, slots=True)
class Point:
    start_ms: int
    requests: int
    errors: int
    spend: int


_ERROR = sa.case((request_logs.c.status >= 400, 1), else_=0)
_BUCKET = sa.case(
    *[(request_logs.c.latency_ms < edge, index) for index, edge in enumerate(LATENCY_EDGES_MS)],
    else_=len(LATENCY_EDGES_MS),
)


def percentile(counts: list[int], share: float) -> int | None:
    """The upper edge (ms) of the histogram bucket holding the ``share`` quantile; None without rows."""
    total = sum(counts)
    if total == 0:
        return None
    running, cumulative = 0, []
    for count in counts:
        running += count
        cumulative.append(running)
    index = bisect.bisect_left(cumulative, share * total)
    return LATENCY_EDGES_MS[index] if index < len(LATENCY_EDGES_MS) else LATENCY_EDGES_MS[-1] * 10


async def _histograms(conn: AsyncConnection, column: sa.ColumnElement[Any], since_ms: int) -> dict[Any, list[int]]:
    query = (
        sa.select(column, _BUCKET.label("bucket"), sa.func.count())
        .where(request_logs.c.created_at >= since_ms)
        .group_by(column, _BUCKET)
    )
    found: dict[Any, list[int]] = {}
    for key, bucket, count in await conn.execute(query):
        found.setdefault(key, [0] * (len(LATENCY_EDGES_MS) + 1))[int(bucket)] += int(count)
    return found


async def group_stats(engine: AsyncEngine, column: str, since_ms: int) -> list[GroupStats]:
    """Per value of ``column`` (``model`` or ``channel_id``), busiest first."""
    col = request_logs.c[column]
    query = (
        sa.select(col, sa.func.count(), sa.func.sum(_ERROR), sa.func.sum(request_logs.c.cost))
        .where(request_logs.c.created_at >= since_ms)
        .group_by(col)
        .order_by(sa.func.count().desc())
    )
    async with engine.connect() as conn:
        totals = (await conn.execute(query)).all()
        histograms = await _histograms(conn, col, since_ms)
    return [
        GroupStats(
            key=key,
            requests=int(count),
            errors=int(errors or 0),
            spend=int(spend or 0),
            p50_ms=percentile(histograms.get(key, []), 0.5),
            p99_ms=percentile(histograms.get(key, []), 0.99),
        )
        for key, count, errors, spend in totals
    ]


async def series(engine: AsyncEngine, window: Window, now_ms: int) -> list[Point]:
    """One point per ``window.step_ms`` from ``now - span`` to now (empty steps included)."""
    first = (now_ms - window.span_ms) // window.step_ms + 1
    step = (request_logs.c.created_at // window.step_ms).label("step")
    query = (
        sa.select(step, sa.func.count(), sa.func.sum(_ERROR), sa.func.sum(request_logs.c.cost))
        .where(request_logs.c.created_at >= first * window.step_ms)
        .group_by(step)
    )
    async with engine.connect() as conn:
        rows = {int(s): (int(c), int(e or 0), int(v or 0)) for s, c, e, v in await conn.execute(query)}
    last = now_ms // window.step_ms
    return [Point(s * window.step_ms, *rows.get(s, (0, 0, 0))) for s in range(first, last + 1)]
