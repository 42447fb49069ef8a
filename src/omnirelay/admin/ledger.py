"""An account's ledger entries for operators: newest first, a page at a time.

Entries are written by the billing path (``reserve``, ``settle``, ``refund``, ``release``) and
by operators (``topup``, ``adjust``); see :mod:`omnirelay.billing.ledger`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import get_account
from omnirelay.db.tables import ledger_entries

__all__ = ["MAX_PAGE", "list_entries"]

MAX_PAGE = 500


async def list_entries(
    engine: AsyncEngine,
    account_id: int,
    *,
    limit: int = 50,
    before_id: int | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """One page of the account's entries, newest first; the next page is ``before_id=next_before_id``."""
    await get_account(engine, account_id)  # NotFound for an unknown account, not an empty page
    limit = max(1, min(limit, MAX_PAGE))
    conditions = [ledger_entries.c.account_id == account_id]
    if before_id is not None:
        conditions.append(ledger_entries.c.id < before_id)
    if kind is not None:
        conditions.append(ledger_entries.c.kind == kind)
    query = sa.select(ledger_entries).where(*conditions).order_by(ledger_entries.c.id.desc()).limit(limit + 1)
    async with engine.connect() as conn:
        rows = [
            {
                "id": r.id,
                "account_id": r.account_id,
                "key_id": r.key_id,
                "request_id": r.request_id,
                "kind": r.kind,
                "amount": r.amount,
                "created_at": r.created_at,
            }
            for r in await conn.execute(query)
        ]
    has_more = len(rows) > limit
    rows = rows[:limit]
    return {"data": rows, "has_more": has_more, "next_before_id": rows[-1]["id"] if has_more else None}
