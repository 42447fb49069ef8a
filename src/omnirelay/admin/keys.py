"""API keys: create (shown once), list, change scopes, disable, delete; and admin tokens."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.keys import generate_key, hash_key, key_hint
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import accounts, admin_tokens, api_keys
from omnirelay.errors import InvalidRequest, NotFound

__all__ = [
    "SCOPE_FIELDS",
    "admin_token_count",
    "create_admin_token",
    "create_key",
    "delete_key",
    "get_key",
    "list_keys",
    "update_key",
]

SCOPE_FIELDS = (
    "name",
    "models",
    "ip_allowlist",
    "expires_at",
    "spend_cap",
    "rpm",
    "tpm",
    "max_concurrency",
    "enabled",
)


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_id": row.account_id,
        "name": row.name,
        "key_hint": row.key_hint,
        "models": row.models,
        "ip_allowlist": row.ip_allowlist,
        "expires_at": row.expires_at,
        "spend_cap": row.spend_cap,
        "spent": row.spent,
        "rpm": row.rpm,
        "tpm": row.tpm,
        "max_concurrency": row.max_concurrency,
        "enabled": row.enabled,
        "created_at": row.created_at,
    }


def _check_scopes(scopes: dict[str, Any]) -> None:
    unknown = set(scopes) - set(SCOPE_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown key field(s): {', '.join(sorted(unknown))}.")
    for network in scopes.get("ip_allowlist") or ():
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise InvalidRequest(f"{network!r} is not an IP address or CIDR range.", param="ip_allowlist") from exc
    for limit in ("spend_cap", "rpm", "tpm", "max_concurrency"):
        value = scopes.get(limit)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise InvalidRequest(f"{limit} must be a non-negative integer or null.", param=limit)


async def create_key(
    engine: AsyncEngine, account_id: int, *, key: str | None = None, **scopes: Any
) -> tuple[str, dict[str, Any]]:
    """A new key for the account; returns the key itself (shown this once) and its record."""
    _check_scopes(scopes)
    secret = key or generate_key()
    scopes.setdefault("name", "default")
    async with engine.begin() as conn:
        if await conn.scalar(sa.select(accounts.c.id).where(accounts.c.id == account_id)) is None:
            raise NotFound(f"No account with id {account_id}.")
        key_id = (
            await conn.execute(
                sa.insert(api_keys)
                .values(
                    account_id=account_id,
                    key_hash=hash_key(secret),
                    key_hint=key_hint(secret),
                    created_at=now_ms(),
                    **scopes,
                )
                .returning(api_keys.c.id)
            )
        ).scalar_one()
        await bump_revision(conn)
        row = (await conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id))).one()
    return secret, _public(row)


async def get_key(engine: AsyncEngine, key_id: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(api_keys).where(api_keys.c.id == key_id))).one_or_none()
    if row is None:
        raise NotFound(f"No API key with id {key_id}.")
    return _public(row)


async def list_keys(engine: AsyncEngine, account_id: int | None = None) -> list[dict[str, Any]]:
    query = sa.select(api_keys).order_by(api_keys.c.id)
    if account_id is not None:
        query = query.where(api_keys.c.account_id == account_id)
    async with engine.connect() as conn:
        return [_public(r) for r in await conn.execute(query)]


async def update_key(engine: AsyncEngine, key_id: int, **scopes: Any) -> dict[str, Any]:
    _check_scopes(scopes)
    async with engine.begin() as conn:
        result = await conn.execute(sa.update(api_keys).where(api_keys.c.id == key_id).values(**scopes))
        if result.rowcount == 0:
            raise NotFound(f"No API key with id {key_id}.")
        await bump_revision(conn)
    return await get_key(engine, key_id)


async def delete_key(engine: AsyncEngine, key_id: int) -> None:
    """Keys are disabled rather than removed, so ledger entries keep pointing at something."""
    await update_key(engine, key_id, enabled=False)


async def admin_token_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(admin_tokens)) or 0)


async def create_admin_token(engine: AsyncEngine, name: str, key: str | None = None) -> str:
    """A new admin key (returned once); only its hash is stored."""
    secret = key or generate_key()
    async with engine.begin() as conn:
        exists = await conn.scalar(sa.select(admin_tokens.c.id).where(admin_tokens.c.key_hash == hash_key(secret)))
        if exists is None:
            await conn.execute(
                sa.insert(admin_tokens).values(name=name, key_hash=hash_key(secret), created_at=now_ms())
            )
            await bump_revision(conn)
    return secret
