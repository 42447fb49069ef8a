"""``GET /users/me`` answered from the gateway: the caller's account as Recraft's user object.

Recraft answers ``{"id", "name", "email", "credits"}`` for the token's user. Here the token is an
omnirelay key, so the user is its account: ``id`` the account's id (as a string), ``name`` its
name, ``email`` null (accounts have none), and ``credits`` what the key can still spend, in the
gateway's micro-units (the account's balance, capped by the key's spend cap when it has one):
the same unit as the ``credits`` every Recraft answer here reports as a call's cost. No upstream
is asked: a channel's own Recraft account is the operator's business, not the client's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import get_account
from omnirelay.billing.balances import Balances
from omnirelay.errors import StoreUnavailable
from omnirelay.relay.auth import Caller

__all__ = ["user_view"]


async def user_view(engine: AsyncEngine, balances: Balances, caller: Caller) -> dict[str, Any]:
    key = caller.key
    account = await get_account(engine, key.account_id)
    try:
        credits = await balances.balance(key.account_id)
    except StoreUnavailable:  # the live counters are out of reach: the store's committed balance
        credits = int(account["balance"])
    if key.spend_cap is not None:
        credits = min(credits, max(0, key.spend_cap - key.spent))
    return {"id": str(account["id"]), "name": account["name"], "email": None, "credits": credits}
