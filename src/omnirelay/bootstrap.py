"""Apply the declarative part of the settings (GitOps): accounts, keys, channels, prices.

Runs at every start and is idempotent: accounts and keys are created when missing (an
existing account's balance is never touched again), channels and prices are made to
match the file. Also creates the first admin key when there is none.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.keys import hash_key
from omnirelay.admin import accounts as account_admin
from omnirelay.admin import channels as channel_admin
from omnirelay.admin import keys as key_admin
from omnirelay.admin import prices as price_admin
from omnirelay.channels.crypto import SecretBox
from omnirelay.db.tables import accounts, api_keys, channels, prices
from omnirelay.providers.local import LOCAL_MODELS
from omnirelay.settings import Settings

__all__ = ["apply_declared", "ensure_admin_key", "ensure_local_channel"]


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


async def _keys(engine: AsyncEngine, settings: Settings, account_ids: dict[str, int]) -> None:
    for declared in settings.keys:
        if declared.account not in account_ids:
            raise ValueError(f"key {declared.name!r} names unknown account {declared.account!r}")
        async with engine.connect() as conn:
            found = await conn.scalar(sa.select(api_keys.c.id).where(api_keys.c.key_hash == hash_key(declared.key)))
        if found is None:
            await key_admin.create_key(
                engine,
                account_ids[declared.account],
                key=declared.key,
                name=declared.name,
                models=declared.models,
                rpm=declared.rpm,
                tpm=declared.tpm,
                max_concurrency=declared.max_concurrency,
                spend_cap=declared.spend_cap,
            )


async def _channels(engine: AsyncEngine, settings: Settings, box: SecretBox) -> None:
    async with engine.connect() as conn:
        existing = {r.name: r.id for r in await conn.execute(sa.select(channels.c.id, channels.c.name))}
    for declared in settings.channels:
        fields = declared.model_dump()
        if declared.name in existing:
            await channel_admin.update_channel(engine, box, existing[declared.name], **fields)
        else:
            await channel_admin.create_channel(engine, box, **fields)


async def apply_declared(engine: AsyncEngine, settings: Settings, box: SecretBox) -> None:
    account_ids = await _account_ids(engine, settings)
    await _keys(engine, settings, account_ids)
    await _channels(engine, settings, box)
    for price in settings.prices:
        await price_admin.set_price(engine, **price.model_dump())
    for group, multiplier in settings.group_multipliers.items():
        await price_admin.set_multiplier(engine, group, multiplier)


async def ensure_local_channel(engine: AsyncEngine, box: SecretBox) -> None:
    """The built-in ``local`` channel serving every local model, and free prices for them.

    A ``local`` channel made by an older version gets the models added since; prices an
    operator set are never touched.
    """
    async with engine.connect() as conn:
        query = sa.select(channels.c.id, channels.c.type, channels.c.models).where(channels.c.name == "local")
        existing = (await conn.execute(query)).one_or_none()
        priced = set(await conn.scalars(sa.select(prices.c.model)))
    if existing is None:
        await channel_admin.create_channel(
            engine,
            box,
            name="local",
            type="local",
            base_url="local://builtin",
            models=list(LOCAL_MODELS),
            priority=-100,
        )
    elif existing.type == "local" and (missing := [m for m in LOCAL_MODELS if m not in existing.models]):
        await channel_admin.update_channel(engine, box, existing.id, models=[*existing.models, *missing])
    for model in LOCAL_MODELS:
        if model not in priced:
            await price_admin.set_price(engine, model, mode="free")


async def ensure_admin_key(engine: AsyncEngine, settings: Settings) -> str | None:
    """Register the declared admin key, or create one on first start. Returns a key to show once."""
    if settings.admin_key:
        await key_admin.create_admin_token(engine, "declared", settings.admin_key)
        return None
    if await key_admin.admin_token_count(engine) > 0:
        return None
    return await key_admin.create_admin_token(engine, "initial")
