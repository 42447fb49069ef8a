"""What the home page and ``GET /api/v1/me`` show: the account, its balance and this month's spend."""

from __future__ import annotations

import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import get_account
from omnirelay.billing.balances import Balances
from omnirelay.db.tables import request_logs
from omnirelay.errors import StoreUnavailable

__all__ = ["account_overview", "month_start_ms"]


def month_start_ms(now: datetime.datetime | None = None) -> int:
    """The first moment of the current month, UTC, in epoch milliseconds."""
    moment = now or datetime.datetime.now(datetime.UTC)
    start = datetime.datetime(moment.year, moment.month, 1, tzinfo=datetime.UTC)
    return int(start.timestamp() * 1000)


async def _spent_since(engine: AsyncEngine, account_id: int, since_ms: int) -> int:
    """The account's logged cost since ``since_ms``: the first row id at that time (the ``created_at``
    index), then a range of the account's rows from it (the ``(account_id, id)`` index)."""
    first = sa.select(sa.func.min(request_logs.c.id)).where(request_logs.c.created_at >= since_ms)
    async with engine.connect() as conn:
        first_id = await conn.scalar(first)
        if first_id is None:
            return 0
        total = await conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(request_logs.c.cost), 0)).where(
                request_logs.c.account_id == account_id, request_logs.c.id >= first_id
            )
        )
    return int(total or 0)


async def account_overview(engine: AsyncEngine, balances: Balances, account_id: int) -> dict[str, Any]:
    """``balance``: what the account can spend now (live counters, holds of running calls taken off;
    the store's committed balance, with ``live`` false, while they cannot be reached)."""
    account = await get_account(engine, account_id)
    try:
        balance, live = await balances.balance(account_id), True
    except StoreUnavailable:
        balance, live = account["balance"], False
    return {
        "account": {"id": account["id"], "name": account["name"], "group": account["group"]},
        "balance": balance,
        "balance_live": live,
        "month_spend": await _spent_since(engine, account_id, month_start_ms()),
    }
