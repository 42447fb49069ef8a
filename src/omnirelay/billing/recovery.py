"""Start-up recovery: release reservations that a killed process left open."""

from __future__ import annotations

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import accounts, api_keys, ledger_entries

__all__ = ["Released", "release_stale_reservations"]


class Released(NamedTuple):
    account_id: int
    key_id: int | None
    amount: int


_CLOSING_KINDS = ("settle", "refund", "release")


async def release_stale_reservations(engine: AsyncEngine, older_than_s: float) -> list[Released]:
    """Post a ``release`` for every reservation older than ``older_than_s`` with no closing entry.

    Returns what was released. Runs in one transaction, so the balance invariant holds.
    """
    cutoff = now_ms() - int(older_than_s * 1000)
    closing = sa.select(sa.literal(1)).where(
        ledger_entries.c.request_id == sa.literal_column("r.request_id"),
        ledger_entries.c.kind.in_(_CLOSING_KINDS),
    )
    reserve = ledger_entries.alias("r")
    stale = sa.select(reserve.c.account_id, reserve.c.key_id, reserve.c.request_id, reserve.c.amount).where(
        reserve.c.kind == "reserve", reserve.c.created_at < cutoff, ~sa.exists(closing)
    )
    async with engine.begin() as conn:
        rows = (await conn.execute(stale)).all()
        if not rows:
            return []
        now = now_ms()
        await conn.execute(
            sa.insert(ledger_entries),
            [
                {
                    "account_id": r.account_id,
                    "key_id": r.key_id,
                    "request_id": r.request_id,
                    "kind": "release",
                    "amount": -r.amount,
                    "created_at": now,
                }
                for r in rows
            ],
        )
        for r in rows:
            await conn.execute(
                sa.update(accounts).where(accounts.c.id == r.account_id).values(balance=accounts.c.balance - r.amount)
            )
            if r.key_id is not None:
                await conn.execute(
                    sa.update(api_keys).where(api_keys.c.id == r.key_id).values(spent=api_keys.c.spent + r.amount)
                )
    return [Released(r.account_id, r.key_id, -r.amount) for r in rows]
