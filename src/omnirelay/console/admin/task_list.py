"""Every account's tasks for the operator, newest first (a read of ``tasks``; the engine owns writes)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.tables import tasks

__all__ = ["recent_tasks"]

_SHOWN = (
    tasks.c.id,
    tasks.c.family,
    tasks.c.action,
    tasks.c.model,
    tasks.c.status,
    tasks.c.progress,
    tasks.c.account_id,
    tasks.c.channel_id,
    tasks.c.cost,
    tasks.c.submit_time,
    tasks.c.finish_time,
    tasks.c.fail_reason,
)


async def recent_tasks(
    engine: AsyncEngine, *, status: str | None, account_id: int | None, limit: int = 50
) -> list[dict[str, Any]]:
    query = sa.select(*_SHOWN).order_by(tasks.c.submit_time.desc(), tasks.c.id.desc()).limit(limit)
    if status:
        query = query.where(tasks.c.status == status)
    if account_id is not None:
        query = query.where(tasks.c.account_id == account_id)
    async with engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(query)]
