"""An account's webhook destination and ``whsec_`` signing secret, for the admin API and the CLI.

The URL is checked like every callback URL (http or https, public addresses only unless the
operator allow-listed the range in ``webhooks.allow_networks``) before it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import get_account
from omnirelay.webhooks.destinations import check_destination, parse_networks
from omnirelay.webhooks.hooks import AccountHook, AccountHooks

__all__ = ["get_hook", "hook_record", "rotate_secret", "set_url"]


def hook_record(hook: AccountHook) -> dict[str, Any]:
    return {"account_id": hook.account_id, "url": hook.url, "secret": hook.secret}


async def get_hook(engine: AsyncEngine, hooks: AccountHooks, account_id: int) -> AccountHook:
    """The account's hook; its secret is created on first need."""
    await get_account(engine, account_id)  # NotFound for an unknown account
    return await hooks.get(account_id)


async def set_url(
    engine: AsyncEngine, hooks: AccountHooks, account_id: int, url: str | None, allow_networks: Sequence[str]
) -> AccountHook:
    """Point the account's events at ``url`` (None: nowhere; customers poll or set notifyHook)."""
    await get_account(engine, account_id)
    if url:
        await check_destination(url, parse_networks(allow_networks))
    return await hooks.set_url(account_id, url or None)


async def rotate_secret(engine: AsyncEngine, hooks: AccountHooks, account_id: int) -> AccountHook:
    """A new signing secret; deliveries from now on are signed with it."""
    await get_account(engine, account_id)
    return await hooks.rotate(account_id)
