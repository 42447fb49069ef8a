"""Start-up recovery: release reservations that a killed process left open."""

from __future__ import annotations

from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import accounts, api_keys, ledger_entries, tasks

__all__ = ["Released", "release_stale_reservations"]


class Released(NamedTuple):
    account_id: int
    key_id: int | None
    amount: int


_CLOSING_KINDS = ("settle", "refund", "release")


def _stale_reservations(older_than_s: float) -> sa.Select[Any]:
    cutoff = now_ms() - int(older_than_s * 1000)
    reserve = ledger_entries.alias("r")
    closing = sa.select(sa.literal(1)).where(
        ledger_entries.c.request_id == reserve.c.request_id,
        ledger_entries.c.kind.in_(_CLOSING_KINDS),
    )
    # a task's hold is the task engine's to close, however long the task runs
    held_by_task = sa.select(sa.literal(1)).where(tasks.c.id == reserve.c.request_id, tasks.c.billing == "reserved")
    return sa.select(reserve.c.account_id, reserve.c.key_id, reserve.c.request_id, reserve.c.amount).where(
        reserve.c.kind == "reserve", reserve.c.created_at < cutoff, ~sa.exists(closing), ~sa.exists(held_by_task)
    )


async def _post_releases(conn: AsyncConnection, released: list[Released], request_ids: list[str]) -> None:
    now = now_ms()
    await conn.execute(
        sa.insert(ledger_entries),
        [
            {"account_id": r.account_id, "key_id": r.key_id, "request_id": rid, "kind": "release", "amount": r.amount}
            | {"created_at": now}
            for r, rid in zip(released, request_ids, strict=True)
        ],
    )
    for r in released:
        await conn.execute(
            sa.update(accounts).where(accounts.c.id == r.account_id).values(balance=accounts.c.balance + r.amount)
        )
        if r.key_id is not None:
            await conn.execute(
                sa.update(api_keys).where(api_keys.c.id == r.key_id).values(spent=api_keys.c.spent - r.amount)
            )


async def release_stale_reservations(engine: AsyncEngine, older_than_s: float) -> list[Released]:
    """Post a ``release`` for every reservation older than ``older_than_s`` with no closing entry.

    Returns what was released. Runs in one transaction, so the balance invariant holds.
    """
    async with engine.begin() as conn:
        rows = (await conn.execute(_stale_reservations(older_than_s))).all()
        released = [Released(r.account_id, r.key_id, -r.amount) for r in rows]
        if released:
            await _post_releases(conn, released, [r.request_id for r in rows])
    return released
