"""Each account's webhook settings: a global destination URL and its ``whsec_`` signing secret.

The secret is created on first need and kept sealed (like channel secrets). Deliveries look
it up here; the admin API reads, sets and rotates it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.channels.crypto import SecretBox
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import account_webhooks
from omnirelay.errors import NotFound
from omnirelay.webhooks.signing import new_secret

__all__ = ["AccountHook", "AccountHooks"]


@dataclass(frozen=True, slots=True)
class AccountHook:
    account_id: int
    url: str | None
    secret: str


class AccountHooks:
    """Read-through cache over ``account_webhooks``; entries live ``ttl_s`` (changes reach every process).

    One load per account at a time: the requests that find an entry expired together (every
    task submit without its own callback reads it) wait for that load instead of each reading
    the row and opening its secret.
    """

    def __init__(self, engine: AsyncEngine, box: SecretBox, ttl_s: float = 5.0) -> None:
        self._engine = engine
        self._box = box
        self._ttl_s = ttl_s
        self._cache: dict[int, tuple[float, AccountHook]] = {}
        self._loading: dict[int, asyncio.Task[AccountHook]] = {}

    async def get(self, account_id: int) -> AccountHook:
        cached = self._cache.get(account_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl_s:
            return cached[1]
        loading = self._loading.get(account_id)
        if loading is None:
            loading = asyncio.create_task(self._refresh(account_id))
            self._loading[account_id] = loading
            loading.add_done_callback(lambda done: self._loaded(account_id, done))
        return await asyncio.shield(loading)  # a waiter given up on does not cancel the others' load

    async def _refresh(self, account_id: int) -> AccountHook:
        hook = await self._load_or_create(account_id)
        if self._loading.get(account_id) is asyncio.current_task():  # not outdated by a change meanwhile
            self._cache[account_id] = (time.monotonic(), hook)
        return hook

    def _loaded(self, account_id: int, done: asyncio.Task[AccountHook]) -> None:
        if self._loading.get(account_id) is done:
            del self._loading[account_id]
        if not done.cancelled():
            done.exception()  # retrieved here too: every waiter may have gone

    def _forget(self, account_id: int) -> None:
        """After a change: the next read loads the row again, not a load begun before the change."""
        self._cache.pop(account_id, None)
        self._loading.pop(account_id, None)

    async def _load_or_create(self, account_id: int) -> AccountHook:
        hook = await self._load(account_id)
        if hook is not None:
            return hook
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    sa.insert(account_webhooks).values(
                        account_id=account_id, url=None, secret=self._box.seal([new_secret()]), updated_at=now_ms()
                    )
                )
        except sa.exc.IntegrityError:
            pass  # another process created it first (use theirs), or the account does not exist
        created = await self._load(account_id)
        if created is None:
            raise NotFound(f"No account with id {account_id}.", param="account_id")
        return created

    async def _load(self, account_id: int) -> AccountHook | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(sa.select(account_webhooks).where(account_webhooks.c.account_id == account_id))
            ).first()
        if row is None:
            return None
        return AccountHook(account_id, row.url, self._box.open(row.secret)[0])

    async def set_url(self, account_id: int, url: str | None) -> AccountHook:
        await self.get(account_id)
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(account_webhooks)
                .where(account_webhooks.c.account_id == account_id)
                .values(url=url, updated_at=now_ms())
            )
        self._forget(account_id)
        return await self.get(account_id)

    async def rotate(self, account_id: int) -> AccountHook:
        await self.get(account_id)
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(account_webhooks)
                .where(account_webhooks.c.account_id == account_id)
                .values(secret=self._box.seal([new_secret()]), updated_at=now_ms())
            )
        self._forget(account_id)
        return await self.get(account_id)
