"""Request logs: filtered, paginated queries for operators."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.tables import request_logs

__all__ = ["query_logs"]

_MAX_PAGE = 500


async def query_logs(
    engine: AsyncEngine,
    *,
    key_id: int | None = None,
    account_id: int | None = None,
    model: str | None = None,
    status: int | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> dict[str, Any]:
    """Newest first. Page with ``before_id`` = the previous page's ``next_before_id``."""
    limit = max(1, min(limit, _MAX_PAGE))
    conditions = []
    for column, value in (
        (request_logs.c.key_id, key_id),
        (request_logs.c.account_id, account_id),
        (request_logs.c.model, model),
        (request_logs.c.status, status),
    ):
        if value is not None:
            conditions.append(column == value)
    if since_ms is not None:
        conditions.append(request_logs.c.created_at >= since_ms)
    if until_ms is not None:
        conditions.append(request_logs.c.created_at < until_ms)
    if before_id is not None:
        conditions.append(request_logs.c.id < before_id)
    query = sa.select(request_logs).where(*conditions).order_by(request_logs.c.id.desc()).limit(limit + 1)
    async with engine.connect() as conn:
        rows = [{str(k): v for k, v in r._mapping.items()} for r in await conn.execute(query)]
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "has_more": has_more, "next_before_id": rows[-1]["id"] if has_more else None}
