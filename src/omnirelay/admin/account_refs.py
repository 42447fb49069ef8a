"""Find an account by what an operator types: its name (as the settings file says it) or its id."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import get_account
from omnirelay.admin.row_refs import find_row_id
from omnirelay.db.tables import accounts

__all__ = ["find_account"]

_NO_ACCOUNTS = "There are no accounts yet: create one with 'omnirelay accounts create NAME'."


async def find_account(engine: AsyncEngine, ref: str) -> dict[str, Any]:
    """The account named ``ref``, else the one whose id is ``ref``; NotFound lists near names.

    A name wins over an id, so an account named ``"7"`` is found by its name.
    """
    account_id = await find_row_id(engine, accounts, ref, noun="account", empty_hint=_NO_ACCOUNTS)
    return await get_account(engine, account_id)
