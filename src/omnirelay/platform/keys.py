"""An account's own API keys: created through the same service as the admin API's and the CLI's
(``admin/keys.py``), and only ever found within the account (another account's key is "not found")."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin import keys as key_service
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import api_keys
from omnirelay.errors import NotFound

__all__ = ["create_own_key", "delete_own_key", "list_own_keys", "set_own_key_enabled"]


def _own(account_id: int, key_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(api_keys.c.id == key_id, api_keys.c.account_id == account_id, api_keys.c.deleted_at.is_(None))


async def list_own_keys(engine: AsyncEngine, account_id: int) -> list[dict[str, Any]]:
    query = sa.select(api_keys.c.id).where(api_keys.c.account_id == account_id, api_keys.c.deleted_at.is_(None))
    async with engine.connect() as conn:
        live = {row.id for row in await conn.execute(query)}
    return [k for k in await key_service.list_keys(engine, account_id) if k["id"] in live]


async def create_own_key(engine: AsyncEngine, account_id: int, **scopes: Any) -> tuple[str, dict[str, Any]]:
    """A new key of the account with the given scopes; the key itself is returned this once."""
    return await key_service.create_key(engine, account_id, **scopes)


async def _owned(engine: AsyncEngine, account_id: int, key_id: int) -> None:
    async with engine.connect() as conn:
        if await conn.scalar(sa.select(api_keys.c.id).where(_own(account_id, key_id))) is None:
            raise NotFound(f"No API key with id {key_id}.")


async def set_own_key_enabled(engine: AsyncEngine, account_id: int, key_id: int, enabled: bool) -> dict[str, Any]:
    await _owned(engine, account_id, key_id)
    return await key_service.update_key(engine, key_id, enabled=enabled)


async def delete_own_key(engine: AsyncEngine, account_id: int, key_id: int) -> None:
    """Disabled at once and no longer listed; the row stays for the ledger and the logs."""
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.update(api_keys).where(_own(account_id, key_id)).values(enabled=False, deleted_at=now_ms())
        )
        if result.rowcount == 0:
            raise NotFound(f"No API key with id {key_id}.")
        await bump_revision(conn)
