"""Model prices and account-group multipliers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.billing.prices import parse_multiplier
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import group_multipliers, prices
from omnirelay.errors import InvalidRequest, NotFound

__all__ = ["delete_price", "list_multipliers", "list_prices", "set_multiplier", "set_price"]

_MODES = ("per_call", "per_token", "free")


def _public(row: Any) -> dict[str, Any]:
    return {
        "model": row.model,
        "mode": row.mode,
        "per_call": row.per_call,
        "input_per_million": row.input_per_million,
        "output_per_million": row.output_per_million,
        "updated_at": row.updated_at,
    }


async def set_price(
    engine: AsyncEngine,
    model: str,
    *,
    mode: str,
    per_call: int = 0,
    input_per_million: int = 0,
    output_per_million: int = 0,
) -> dict[str, Any]:
    """Create or replace the price of ``model`` (micro-units per call or per million tokens)."""
    if mode not in _MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(_MODES)}.", param="mode")
    if min(per_call, input_per_million, output_per_million) < 0:
        raise InvalidRequest("Prices cannot be negative.")
    values = {
        "mode": mode,
        "per_call": per_call,
        "input_per_million": input_per_million,
        "output_per_million": output_per_million,
        "updated_at": now_ms(),
    }
    async with engine.begin() as conn:
        updated = await conn.execute(sa.update(prices).where(prices.c.model == model).values(**values))
        if updated.rowcount == 0:
            await conn.execute(sa.insert(prices).values(model=model, **values))
        await bump_revision(conn)
        row = (await conn.execute(sa.select(prices).where(prices.c.model == model))).one()
    return _public(row)


async def delete_price(engine: AsyncEngine, model: str) -> None:
    async with engine.begin() as conn:
        if (await conn.execute(sa.delete(prices).where(prices.c.model == model))).rowcount == 0:
            raise NotFound(f"No price set for {model!r}.")
        await bump_revision(conn)


async def list_prices(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        return [_public(r) for r in await conn.execute(sa.select(prices).order_by(prices.c.model))]


async def set_multiplier(engine: AsyncEngine, group: str, multiplier: str) -> dict[str, str]:
    try:
        parse_multiplier(multiplier)
    except (ValueError, ZeroDivisionError) as exc:
        raise InvalidRequest(f"{multiplier!r} is not a valid multiplier: {exc}", param="multiplier") from exc
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
