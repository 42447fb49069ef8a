"""Accounts and top-ups.

Every amount is checked here, whatever the intake (admin API, CLI, settings file): a whole
number of micro-units within ``MAX_AMOUNT``, and no top-up may leave a balance beyond it.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.billing.amounts import MAX_AMOUNT, checked_amount
from omnirelay.db.engine import bump_revision, now_ms
from omnirelay.db.tables import accounts, ledger_entries
from omnirelay.errors import InvalidRequest, NotFound

__all__ = ["create_account", "create_account_in", "get_account", "list_accounts", "set_group", "top_up", "top_up_in"]


def _public(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "group": row.group,
        "balance": row.balance,
        "created_at": row.created_at,
    }


async def _credit(conn: AsyncConnection, account_id: int, amount: int, kind: str, reference: str) -> None:
    await conn.execute(
        sa.insert(ledger_entries).values(
            account_id=account_id,
            key_id=None,
            request_id=reference,
            kind=kind,
            amount=amount,
            created_at=now_ms(),
        )
    )
    await conn.execute(
        sa.update(accounts).where(accounts.c.id == account_id).values(balance=accounts.c.balance + amount)
    )


async def create_account(engine: AsyncEngine, name: str, *, group: str = "default", balance: int = 0) -> dict[str, Any]:
    """A new account; an opening balance is posted as a ``topup`` entry so the ledger balances."""
    async with engine.begin() as conn:
        return await create_account_in(conn, name, group=group, balance=balance)


async def create_account_in(
    conn: AsyncConnection, name: str, *, group: str = "default", balance: int = 0
) -> dict[str, Any]:
    """:func:`create_account` inside the caller's transaction (a console sign-up adds its user with it)."""
    checked_amount(balance, "balance")
    if await conn.scalar(sa.select(accounts.c.id).where(accounts.c.name == name)) is not None:
        raise InvalidRequest(f"An account named {name!r} already exists.", param="name", code="conflict")
    account_id = (
        await conn.execute(
            sa.insert(accounts).values(name=name, group=group, balance=0, created_at=now_ms()).returning(accounts.c.id)
        )
    ).scalar_one()
    if balance:
        await _credit(conn, account_id, balance, "topup", f"topup_{secrets.token_hex(8)}")
    await bump_revision(conn)
    row = (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).one()
    return _public(row)


async def get_account(engine: AsyncEngine, account_id: int) -> dict[str, Any]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).one_or_none()
    if row is None:
        raise NotFound(f"No account with id {account_id}.")
    return _public(row)


async def set_group(engine: AsyncEngine, account_id: int, group: str) -> dict[str, Any]:
    """Move the account to ``group`` (its prices' multiplier follows at once)."""
    name = group.strip()
    if not 1 <= len(name) <= 100:  # accounts.group is a String(100)
        raise InvalidRequest("A group name has 1 to 100 characters.", param="group")
    async with engine.begin() as conn:
        result = await conn.execute(sa.update(accounts).where(accounts.c.id == account_id).values(group=name))
        if result.rowcount == 0:
            raise NotFound(f"No account with id {account_id}.")
        await bump_revision(conn)
    return await get_account(engine, account_id)


async def list_accounts(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(accounts).order_by(accounts.c.id))).all()
    return [_public(r) for r in rows]


async def top_up(engine: AsyncEngine, account_id: int, amount: int, *, reference: str | None = None) -> dict[str, Any]:
    """Credit (or, with a negative amount, debit) an account through a ledger entry."""
    async with engine.begin() as conn:
        return await top_up_in(conn, account_id, amount, reference=reference)


async def top_up_in(
    conn: AsyncConnection, account_id: int, amount: int, *, reference: str | None = None
) -> dict[str, Any]:
    """:func:`top_up` inside the caller's transaction (``admin/topups.py`` commits a key with it)."""
    if checked_amount(amount, "amount", signed=True) == 0:
        raise InvalidRequest("A top-up amount must not be zero.", param="amount")
    balance = await conn.scalar(sa.select(accounts.c.balance).where(accounts.c.id == account_id))
    if balance is None:
        raise NotFound(f"No account with id {account_id}.")
    if not -MAX_AMOUNT <= balance + amount <= MAX_AMOUNT:
        raise InvalidRequest(
            f"This would leave the account's balance at {balance + amount} micro-units, beyond the "
            f"{MAX_AMOUNT} an account may hold (it holds {balance}).",
            param="amount",
        )
    kind = "topup" if amount > 0 else "adjust"
    await _credit(conn, account_id, amount, kind, reference or f"{kind}_{secrets.token_hex(8)}")
    await bump_revision(conn)
    row = (await conn.execute(sa.select(accounts).where(accounts.c.id == account_id))).one()
    return _public(row)
