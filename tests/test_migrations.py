"""The migrations build exactly the schema the code declares, on SQLite and PostgreSQL.

A column added to ``db/tables.py`` without a migration (or the other way round) would work in
tests that create tables from the metadata and fail on an operator's upgraded store.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from omnirelay.db.migrate import upgrade
from omnirelay.db.tables import metadata


def _differences(connection: sa.Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _diff_after_upgrade(url: str) -> list[Any]:
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            return await conn.run_sync(_differences)
    finally:
        await engine.dispose()


def test_migrations_match_declared_tables(database_url: str) -> None:
    differences = asyncio.run(_diff_after_upgrade(database_url))
    assert differences == []


def test_the_newest_file_name_is_alembics_head() -> None:
    """Start-up skips Alembic when the store is at :func:`head_revision`; it must be Alembic's own head."""
    from alembic.script import ScriptDirectory

    from omnirelay.db.migrate import alembic_config, head_revision

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == head_revision()
