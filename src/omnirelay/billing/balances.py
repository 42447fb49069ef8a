"""Where live balances and key spend are counted: in this process, or in Redis for several processes.

The store's ledger is the record; these counters are what the hot path checks a
reservation against. With several gateway processes the counters must be shared, so
each process holds against the same number: that is :class:`RedisBalances`, whose
reservation is one atomic Lua script. Counters missing in Redis (first start, Redis
restarted) are seeded from the store.
"""

from __future__ import annotations

from typing import Protocol

import redis.asyncio as aioredis

from omnirelay.errors import InsufficientBalance, StoreUnavailable

__all__ = ["Balances", "MemoryBalances", "RedisBalances", "refuse"]

_LOW, _CAP = -1, -2


def refuse(reason: int, amount: int, balance: int, cap: int | None) -> InsufficientBalance:
    if reason == _CAP:
        return InsufficientBalance(
            f"This API key reached its spend cap of {cap} micro-units. Raise the cap or use another key.",
            code="key_spend_cap_reached",
        )
    return InsufficientBalance(
        f"Your account balance is too low for this request (needs {amount} micro-units held, has {balance}). "
        "Top up the account or lower max_tokens."
    )


class Balances(Protocol):
    async def seed(self, balances: dict[int, int], spent: dict[int, int]) -> None:
        """Counters as the store (plus this process's uncommitted entries) says they are."""
        ...

    async def hold(self, account_id: int, key_id: int, amount: int, cap: int | None) -> None:
        """Take ``amount`` off the account and onto the key's spend, or raise 402."""
        ...

    async def post(self, account_id: int, key_id: int | None, amount: int) -> None:
        """Add ``amount`` to the account (and take it off the key's spend)."""
        ...

    async def post_external(self, account_id: int, key_id: int | None, amount: int) -> None:
        """Reflect an entry another path committed straight to the store (top-up, start-up release)."""
        ...

    async def balance(self, account_id: int) -> int: ...

    async def close(self) -> None: ...


class MemoryBalances:
    """One process: plain dictionaries. No await happens between check and change."""

    def __init__(self) -> None:
        self._balances: dict[int, int] = {}
        self._spent: dict[int, int] = {}

    async def seed(self, balances: dict[int, int], spent: dict[int, int]) -> None:
        self._balances, self._spent = dict(balances), dict(spent)

    async def hold(self, account_id: int, key_id: int, amount: int, cap: int | None) -> None:
        balance = self._balances.get(account_id, 0)
        if amount > 0 and balance < amount:
            raise refuse(_LOW, amount, balance, cap)
        if cap is not None and self._spent.get(key_id, 0) + amount > cap:
            raise refuse(_CAP, amount, balance, cap)
        await self.post(account_id, key_id, -amount)

    async def post(self, account_id: int, key_id: int | None, amount: int) -> None:
        self._balances[account_id] = self._balances.get(account_id, 0) + amount
        if key_id is not None:
            self._spent[key_id] = self._spent.get(key_id, 0) - amount

    async def post_external(self, account_id: int, key_id: int | None, amount: int) -> None:
        """Nothing to do: the catalog reload that follows every change re-seeds from the store."""

    async def balance(self, account_id: int) -> int:
        return self._balances.get(account_id, 0)

    async def close(self) -> None:
        return None


_HOLD = """
local balance = tonumber(redis.call('GET', KEYS[1]) or '0')
local spent = tonumber(redis.call('GET', KEYS[2]) or '0')
local amount = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
if amount > 0 and balance < amount then return {-1, balance} end
if cap >= 0 and spent + amount > cap then return {-2, balance} end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
return {0, balance - amount}
"""


_POST_IF_SEEDED = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[1]) end
return 0
"""


class RedisBalances:
    def __init__(self, url: str, prefix: str) -> None:
        self._client = aioredis.from_url(url)
        self._prefix = prefix
        self._hold = self._client.register_script(_HOLD)
        self._post_if_seeded = self._client.register_script(_POST_IF_SEEDED)

    def _account(self, account_id: int) -> str:
        return f"{self._prefix}:balance:{account_id}"

    def _key(self, key_id: int) -> str:
        return f"{self._prefix}:spent:{key_id}"

    async def seed(self, balances: dict[int, int], spent: dict[int, int]) -> None:
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for account_id, value in balances.items():
                    pipe.set(self._account(account_id), value, nx=True)
                for key_id, value in spent.items():
                    pipe.set(self._key(key_id), value, nx=True)
                await pipe.execute()
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"Redis is unavailable: {exc}") from exc

    async def hold(self, account_id: int, key_id: int, amount: int, cap: int | None) -> None:
        try:
            reason, balance = await self._hold(
                keys=[self._account(account_id), self._key(key_id)], args=[amount, -1 if cap is None else cap]
            )
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc
        if reason != 0:
            raise refuse(int(reason), amount, int(balance), cap)

    async def post(self, account_id: int, key_id: int | None, amount: int) -> None:
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.incrby(self._account(account_id), amount)
                if key_id is not None:
                    pipe.decrby(self._key(key_id), amount)
                await pipe.execute()
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc

    async def post_external(self, account_id: int, key_id: int | None, amount: int) -> None:
        """Counters not seeded yet will be seeded from the store, which already holds this entry."""
        keys = [self._account(account_id)] + ([self._key(key_id)] if key_id is not None else [])
        try:
            await self._post_if_seeded(keys=keys, args=[amount])
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc

    async def balance(self, account_id: int) -> int:
        value = await self._client.get(self._account(account_id))
        return int(value or 0)

    async def close(self) -> None:
        await self._client.aclose()
