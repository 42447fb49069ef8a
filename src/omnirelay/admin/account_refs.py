"""Find an account by what an operator types: its name (as the settings file says it) or its id."""

from __future__ import annotations

import difflib
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import get_account
from omnirelay.db.tables import accounts
from omnirelay.errors import NotFound
from omnirelay.integers import row_id_in

__all__ = ["find_account"]

_SUGGESTIONS = 5


async def find_account(engine: AsyncEngine, ref: str) -> dict[str, Any]:
    """The account named ``ref``, else the one whose id is ``ref``; NotFound lists near names.

    A name wins over an id, so an account named ``"7"`` is found by its name.
    """
    ref = ref.strip()
    async with engine.connect() as conn:
        account_id = await conn.scalar(sa.select(accounts.c.id).where(accounts.c.name == ref))
        if account_id is None and (named_id := row_id_in(ref)) is not None:
            account_id = await conn.scalar(sa.select(accounts.c.id).where(accounts.c.id == named_id))
        if account_id is None:
            names = list((await conn.scalars(sa.select(accounts.c.name).order_by(accounts.c.id))).all())
            raise NotFound(_unknown(ref, names), param="account")
    return await get_account(engine, account_id)


def _unknown(ref: str, names: list[str]) -> str:
    message = f"No account is named {ref!r}" + (" or has that id." if ref.isdigit() else ".")
    if not names:
        return message + " There are no accounts yet: create one with 'omnirelay accounts create NAME'."
    lowered = ref.lower()
    near = [n for n in names if lowered and lowered in n.lower()]
    near += [n for n in difflib.get_close_matches(ref, names, n=_SUGGESTIONS, cutoff=0.5) if n not in near]
    if near:
        return message + " Did you mean: " + ", ".join(near[:_SUGGESTIONS]) + "?"
    return message + " See 'omnirelay accounts list'."
