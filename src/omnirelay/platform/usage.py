"""An account's own request log: filters, cursor pages (newest first) and a CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.logs import query_logs

__all__ = ["CSV_COLUMNS", "LogFilters", "account_logs", "csv_lines"]

_FIELDS = (
    "id",
    "request_id",
    "created_at",
    "key_id",
    "endpoint",
    "model",
    "stream",
    "prompt_tokens",
    "completion_tokens",
    "cost",
    "latency_ms",
    "status",
    "error",
    "usage",
)
"""What a customer sees of a log row (not the channel, which is the operator's business)."""
CSV_COLUMNS = _FIELDS[:-1]
_EXPORT_MAX = 100_000
_EXPORT_PAGE = 500


@dataclass(frozen=True, slots=True)
class LogFilters:
    model: str | None = None
    key_id: int | None = None
    status: int | None = None
    since_ms: int | None = None
    until_ms: int | None = None


async def account_logs(
    engine: AsyncEngine, account_id: int, filters: LogFilters, *, limit: int = 50, before_id: int | None = None
) -> dict[str, Any]:
    """One page: ``data``, ``has_more`` and ``next_before_id`` (pass it back as ``before_id``)."""
    page = await query_logs(
        engine,
        account_id=account_id,
        model=filters.model,
        key_id=filters.key_id,
        status=filters.status,
        since_ms=filters.since_ms,
        until_ms=filters.until_ms,
        limit=limit,
        before_id=before_id,
    )
    page["data"] = [{f: row[f] for f in _FIELDS} for row in page["data"]]
    return page


async def csv_lines(engine: AsyncEngine, account_id: int, filters: LogFilters) -> AsyncIterator[str]:
    """The filtered log as CSV lines, newest first, header included; at most 100,000 rows."""
    yield _line(CSV_COLUMNS)
    before: int | None = None
    sent = 0
    while sent < _EXPORT_MAX:
        page = await account_logs(engine, account_id, filters, limit=_EXPORT_PAGE, before_id=before)
        for row in page["data"]:
            yield _line([_cell(row[c]) for c in CSV_COLUMNS])
        sent += len(page["data"])
        before = page["next_before_id"]
        if before is None:
            return


def _cell(value: Any) -> Any:
    """Text cells that a spreadsheet would run as a formula are quoted with a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _line(cells: Any) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()
