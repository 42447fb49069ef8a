"""API keys: create (shown once), list, change scopes, disable, delete; and admin tokens."""

from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.keys import generate_key, hash_key, key_hint
from omnirelay.accounts.limits import LIMIT_FIELDS, checked_limit
from omnirelay.billing.amounts import checked_amount
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import accounts, admin_tokens, api_keys
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT64_MAX

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
_NAME_MAX = 200


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
    """Refuse unknown fields and bad values with the field named, for the admin API and the CLI alike."""
    unknown = set(scopes) - set(SCOPE_FIELDS)
    if unknown:
        raise InvalidRequest(f"Unknown key field(s): {', '.join(sorted(unknown))}.")
    if "name" in scopes:
        _check_name(scopes["name"])
    if "enabled" in scopes and not isinstance(scopes["enabled"], bool):
        raise InvalidRequest("enabled must be true or false.", param="enabled")
    _check_list(scopes, "models", "a model name")
    _check_list(scopes, "ip_allowlist", "an IP address or CIDR range")
    for network in scopes.get("ip_allowlist") or ():
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise InvalidRequest(f"{network!r} is not an IP address or CIDR range.", param="ip_allowlist") from exc
    for limit in ("spend_cap", "expires_at"):
        value = scopes.get(limit)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= INT64_MAX):
            raise InvalidRequest(f"{limit} must be a non-negative integer or null.", param=limit)
    for limit in LIMIT_FIELDS:
        if limit in scopes:
            checked_limit(limit, scopes[limit])
    if scopes.get("spend_cap") is not None:
        checked_amount(scopes["spend_cap"], "spend_cap")


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > _NAME_MAX:
        raise InvalidRequest(f"name must be a non-empty string of at most {_NAME_MAX} characters.", param="name")


def _check_list(scopes: dict[str, Any], field: str, item: str) -> None:
    """A list of non-empty strings, or null (no restriction); an empty list would allow nothing."""
    value = scopes.get(field)
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidRequest(f"{field} must be a list of strings, each {item}, or null.", param=field)
    if not value:
        raise InvalidRequest(
            f"{field} must not be empty: it would refuse everything. Use null to lift the restriction.", param=field
        )


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
    """Change the given scopes (None lifts a limit); the others keep their values."""
    _check_scopes(scopes)
    if not scopes:
        return await get_key(engine, key_id)
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
