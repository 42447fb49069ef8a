"""Apply the declarative part of the settings (GitOps): accounts, keys, channels, prices.

Runs at every start and is idempotent: accounts are created when missing (an existing
account's balance is never touched again); keys are created when missing and their scopes
made to match the file; channels and prices are made to match the file. Also creates the
first admin key when there is none.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.keys import hash_key
from omnirelay.admin import accounts as account_admin
from omnirelay.admin import channels as channel_admin
from omnirelay.admin import keys as key_admin
from omnirelay.admin import prices as price_admin
from omnirelay.channels.crypto import SecretBox
from omnirelay.db.tables import accounts, api_keys, channels
from omnirelay.errors import InvalidRequest
from omnirelay.settings import BootstrapKey, Settings

__all__ = [
    "DeclaredConfigError",
    "apply_declared",
    "ensure_admin_key",
    "warn_unbillable_prices",
]

log = structlog.get_logger(__name__)


class DeclaredConfigError(ValueError):
    """An entry of the settings file's declarative part (accounts, keys, channels, prices) cannot be
    applied; the message names the entry and what to change."""


async def _account_ids(engine: AsyncEngine, settings: Settings) -> dict[str, int]:
    async with engine.connect() as conn:
        existing = {r.name: r.id for r in await conn.execute(sa.select(accounts.c.id, accounts.c.name))}
    for declared in settings.accounts:
        if declared.name not in existing:
            created = await account_admin.create_account(
                engine, declared.name, group=declared.group, balance=declared.balance
            )
            existing[declared.name] = created["id"]
    return existing


_KEY_SCOPES = frozenset({"name", "models", "rpm", "tpm", "max_concurrency", "spend_cap", "ip_allowlist", "expires_at"})


def _declared_scopes(declared: BootstrapKey) -> dict[str, Any]:
    """The scopes the file sets; ``enabled`` only when the file says so."""
    scopes = declared.model_dump(include=set(_KEY_SCOPES))
    if declared.enabled is not None:
        scopes["enabled"] = declared.enabled
    return scopes


async def _keys(engine: AsyncEngine, settings: Settings, account_ids: dict[str, int]) -> None:
    """Create missing keys; make existing ones' scopes match the file (only when they differ,
    so an unchanged file does not make every gateway reload its keys)."""
    for declared in settings.keys:
        if declared.account not in account_ids:
            known = ", ".join(sorted(account_ids)) or "none yet"
            raise DeclaredConfigError(
                f"[[keys]] name = {declared.name!r}: account {declared.account!r} does not exist "
                f"(known accounts: {known}); declare it under [[accounts]] or create it first"
            )
        async with engine.connect() as conn:
            query = sa.select(api_keys).where(api_keys.c.key_hash == hash_key(declared.key))
            row = (await conn.execute(query)).one_or_none()
        scopes = _declared_scopes(declared)
        if row is None:
            await key_admin.create_key(engine, account_ids[declared.account], key=declared.key, **scopes)
            continue
        if row.account_id != account_ids[declared.account]:
            log.warning("declared key belongs to another account; left there", key=declared.name, key_id=row.id)
        changed = {field: value for field, value in scopes.items() if row._mapping[field] != value}
        if changed:
            await key_admin.update_key(engine, row.id, **changed)


async def _channels(engine: AsyncEngine, settings: Settings, box: SecretBox) -> None:
    async with engine.connect() as conn:
        existing = {r.name: r.id for r in await conn.execute(sa.select(channels.c.id, channels.c.name))}
    for declared in settings.channels:
        fields = declared.model_dump()
        try:
            if declared.name in existing:
                await channel_admin.update_channel(engine, box, existing[declared.name], **fields)
            else:
                await channel_admin.create_channel(engine, box, **fields)
        except InvalidRequest as exc:  # the same checks as the admin API, named after the file's entry
            raise DeclaredConfigError(f"[[channels]] name = {declared.name!r}: {exc.message}") from exc


async def apply_declared(engine: AsyncEngine, settings: Settings, box: SecretBox) -> None:
    account_ids = await _account_ids(engine, settings)
    await _keys(engine, settings, account_ids)
    await _channels(engine, settings, box)
    for price in settings.prices:
        try:
            await price_admin.set_price(engine, **price.model_dump())
        except InvalidRequest as exc:
            raise DeclaredConfigError(f"[[prices]] model = {price.model!r}: {exc.message}") from exc
    for group, multiplier in settings.group_multipliers.items():
        try:
            await price_admin.set_multiplier(engine, group, multiplier)
        except InvalidRequest as exc:
            raise DeclaredConfigError(f"group_multipliers.{group}: {exc.message}") from exc


async def warn_unbillable_prices(engine: AsyncEngine) -> None:
    """One warning per stored price that cannot bill where its model is served (e.g. a per-token
    price kept from an older version on a Midjourney action); the admin API lists the same."""
    for price in await price_admin.list_prices(engine):
        for warning in price["warnings"]:
            log.warning("price needs fixing", model=price["model"], mode=price["mode"], reason=warning)


async def ensure_admin_key(engine: AsyncEngine, settings: Settings) -> str | None:
    """Register the declared admin key, or create one on first start. Returns a key to show once."""
    if settings.admin_key:
        await key_admin.create_admin_token(engine, "declared", settings.admin_key)
        return None
    if await key_admin.admin_token_count(engine) > 0:
        return None
    return await key_admin.create_admin_token(engine, "initial")
