"""Apply Alembic migrations to the configured database (called at start-up and by ``omnirelay migrate``).

A store already at the newest revision is recognised with one query, without loading Alembic
(and the template engine it brings), so a worker starts lean on every start but the first
after an upgrade. On PostgreSQL an advisory lock makes replicas that start together on a new
store migrate one at a time (the later ones then find it at the head).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "head_revision", "upgrade"]

_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest revision: each migration's file name starts with its revision (``0006_...py``)."""
    return max(path.name.partition("_")[0] for path in (_MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _current_revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


_LOCK_ID = 0x6F6D6E69  # "omni": replicas starting at once migrate one after the other


def _upgrade_sync(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":  # held until this transaction ends
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    if _current_revision(connection) == head_revision():
        return
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; safe to call on every start."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade_sync)
