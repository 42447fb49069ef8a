"""Model prices and account-group multipliers.

Every intake (the admin API, the CLI, the settings file) sets prices through :func:`set_price`,
checked by ``billing/price_rules.py``; a price that cannot bill where its model is served
carries ``warnings``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.billing.per_call_families import PER_CALL_CHANNEL_TYPES
from omnirelay.billing.price_rules import checked_multiplier, checked_price, price_warnings
from omnirelay.billing.prices import Price
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import channels, group_multipliers, prices
from omnirelay.errors import NotFound

__all__ = ["delete_price", "list_multipliers", "list_prices", "set_multiplier", "set_price"]

_PerCallChannels = dict[str, list[tuple[str, str]]]


async def _per_call_channels(conn: AsyncConnection) -> _PerCallChannels:
    """model -> (name, type) of the channels serving it whose type bills per call only."""
    query = sa.select(channels.c.name, channels.c.type, channels.c.models).where(
        channels.c.type.in_(sorted(PER_CALL_CHANNEL_TYPES))
    )
    found: _PerCallChannels = defaultdict(list)
    for row in await conn.execute(query):
        for model in row.models:
            found[model].append((row.name, row.type))
    return found


def _public(row: Any, per_call_channels: _PerCallChannels) -> dict[str, Any]:
    price = Price.from_row(row._mapping)
    return {
        "model": row.model,
        "mode": row.mode,
        "per_call": row.per_call,
        "input_per_million": row.input_per_million,
        "output_per_million": row.output_per_million,
        **price.extras.as_fields(),
        "updated_at": row.updated_at,
        "warnings": price_warnings(price, per_call_channels.get(row.model, ())),
    }


async def set_price(
    engine: AsyncEngine,
    model: str,
    *,
    mode: object = None,
    per_call: object = None,
    input_per_million: object = None,
    output_per_million: object = None,
    **extras: object,
) -> dict[str, Any]:
    """Create or replace the price of ``model`` (micro-units per call or per million tokens).

    ``mode`` may be left out (inferred from the amounts); ``extras`` are a per-token price's
    optional fields (per-kind rates, ``tiers``, ``web_search_per_call``); see ``billing/price_rules.py``."""
    price = checked_price(
        model,
        mode=mode,
        per_call=per_call,
        input_per_million=input_per_million,
        output_per_million=output_per_million,
        **extras,
    )
    values = {
        "mode": price.mode,
        "per_call": price.per_call,
        "input_per_million": price.input_per_million,
        "output_per_million": price.output_per_million,
        "extras": price.extras.as_json(),
        "updated_at": now_ms(),
    }
    async with engine.begin() as conn:
        updated = await conn.execute(sa.update(prices).where(prices.c.model == model).values(**values))
        if updated.rowcount == 0:
            await conn.execute(sa.insert(prices).values(model=model, **values))
        await bump_revision(conn)
        row = (await conn.execute(sa.select(prices).where(prices.c.model == model))).one()
        return _public(row, await _per_call_channels(conn))


async def delete_price(engine: AsyncEngine, model: str) -> None:
    async with engine.begin() as conn:
        if (await conn.execute(sa.delete(prices).where(prices.c.model == model))).rowcount == 0:
            raise NotFound(f"No price set for {model!r}.")
        await bump_revision(conn)


async def list_prices(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        per_call_channels = await _per_call_channels(conn)
        return [_public(r, per_call_channels) for r in await conn.execute(sa.select(prices).order_by(prices.c.model))]


async def set_multiplier(engine: AsyncEngine, group: str, multiplier: str) -> dict[str, str]:
    checked_multiplier(group, multiplier)
    async with engine.begin() as conn:
        updated = await conn.execute(
            sa.update(group_multipliers).where(group_multipliers.c.group == group).values(multiplier=multiplier)
        )
        if updated.rowcount == 0:
            await conn.execute(sa.insert(group_multipliers).values(group=group, multiplier=multiplier))
        await bump_revision(conn)
    return {"group": group, "multiplier": multiplier}


async def list_multipliers(engine: AsyncEngine) -> list[dict[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(group_multipliers).order_by(group_multipliers.c.group))
        return [{"group": r.group, "multiplier": r.multiplier} for r in rows]
