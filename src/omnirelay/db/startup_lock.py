"""One process at a time brings a shared store up to date at start-up.

Replicas started together (``--workers``, a Deployment's pods) would otherwise migrate and
write the settings file's declared accounts, keys and channels at the same moment, and all but
one would fail on a unique constraint. On PostgreSQL they queue on an advisory lock; SQLite has
one process by definition.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["startup_lock"]

_LOCK_ID = 0x6F6D6E72  # "omnr"; the migration's own lock is another id


@asynccontextmanager
async def startup_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Held for the block by this process alone among those sharing the store."""
    if engine.dialect.name != "postgresql":
        yield
        return
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
        await conn.commit()
        try:
            yield
        finally:
            await conn.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
            await conn.commit()
