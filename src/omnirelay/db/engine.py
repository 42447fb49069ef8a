"""Build the async engine for the configured URL (SQLite file or PostgreSQL)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from omnirelay.db.tables import config_revision

__all__ = ["bump_revision", "create_engine", "is_sqlite", "now_ms"]


def now_ms() -> int:
    return int(time.time() * 1000)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
"""JSON columns (task payloads) through orjson rather than the standard library."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An engine for ``url``; SQLite gets WAL mode and its folder is created."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer anyway, and a second connection waiting for the
        # write lock sleeps in SQLite's busy handler for milliseconds; waiting here is an await.
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=120, **_JSON)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, **_JSON)


async def bump_revision(conn: AsyncConnection) -> None:
    """Tell every process (they poll this row) that cached configuration changed."""
    result = await conn.execute(
        sa.update(config_revision).where(config_revision.c.id == 1).values(value=config_revision.c.value + 1)
    )
    if result.rowcount == 0:
        await conn.execute(sa.insert(config_revision).values(id=1, value=1))
