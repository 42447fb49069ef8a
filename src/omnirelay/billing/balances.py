"""Where live balances and key spend are counted: in this process, or in Redis for several processes.

The store's ledger is the record; these counters are what the hot path checks a
reservation against. With several gateway processes the counters must be shared, so
each process holds against the same number: that is :class:`RedisBalances`, whose
reservation is one atomic Lua script.

Redis is never the truth. Every change of an account's counters also bumps the account's
``touch`` version, so :mod:`omnirelay.billing.reconcile` can reset them from the ledger exactly
when nothing moved them meanwhile. A Redis error while holding, posting or seeding marks the
accounts it touched dirty (to be reconciled once Redis answers) and never turns a call that was
served and recorded into an error: only a hold that cannot be checked is refused (503).

Changes committed to the store first (top-ups, releases) go through :meth:`Balances.external`:
the accounts are guarded before the commit and the counters moved after it, so a reconciliation
in between cannot count the change twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import NamedTuple, Protocol

import redis.asyncio as aioredis
import structlog

from omnirelay.errors import InsufficientBalance, StoreUnavailable
from omnirelay.redis_link import pooled_client

__all__ = ["Balances", "Counted", "External", "MemoryBalances", "RedisBalances", "refuse"]

log = structlog.get_logger(__name__)

_LOW, _CAP, _UNSEEDED = -1, -2, -3
_GUARD_TTL_MS = 60_000
"""How long a store-first change may take between its guard and its post before reconciling goes ahead."""


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


class External:
    """Changes committed to the store first, moved onto the live counters after the commit.

    :meth:`guard` the accounts before the commit, :meth:`post` each change after it; leaving
    :meth:`Balances.external` applies them. ``reflected`` then says whether the counters show them
    (False: they will once reconciled)."""

    def __init__(self) -> None:
        self.guarded: set[int] = set()
        self.posts: list[tuple[int, int | None, int]] = []
        self.reflected = True

    async def guard(self, account_ids: Iterable[int]) -> None:
        self.guarded |= set(account_ids)

    def post(self, account_id: int, key_id: int | None, amount: int) -> None:
        self.posts.append((account_id, key_id, amount))


class Balances(Protocol):
    async def seed(self, balances: dict[int, int], spent: dict[int, int]) -> None:
        """Counters as the store (plus this process's uncommitted entries) says they are; never raises."""
        ...

    async def hold(self, account_id: int, key_id: int, amount: int, cap: int | None) -> None:
        """Take ``amount`` off the account and onto the key's spend, or raise 402 (503: cannot tell)."""
        ...

    async def post(self, account_id: int, key_id: int | None, amount: int) -> None:
        """Add ``amount`` to the account (and take it off the key's spend); never raises."""
        ...

    def external(self, account_ids: Iterable[int] = ()) -> AbstractAsyncContextManager[External]:
        """A block for changes committed straight to the store (top-up, release): see :class:`External`."""
        ...

    async def balance(self, account_id: int) -> int:
        """The live counter; :class:`StoreUnavailable` when it cannot be read."""
        ...

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

    @asynccontextmanager
    async def external(self, account_ids: Iterable[int] = ()) -> AsyncIterator[External]:
        """Moved at the end of the block; a catalog reload in between (which re-seeds from the store,
        change included) takes the write-behind lock, which such a change holds or is followed by."""
        block = External()
        try:
            yield block
        finally:
            for account_id, key_id, amount in block.posts:
                await self.post(account_id, key_id, amount)

    async def balance(self, account_id: int) -> int:
        return self._balances.get(account_id, 0)

    async def close(self) -> None:
        return None


_HOLD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-3, 0} end
local balance = tonumber(redis.call('GET', KEYS[1]))
local spent = tonumber(redis.call('GET', KEYS[2]) or '0')
local amount = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
if amount > 0 and balance < amount then return {-1, balance} end
if cap >= 0 and spent + amount > cap then return {-2, balance} end
redis.call('DECRBY', KEYS[1], amount)
redis.call('INCRBY', KEYS[2], amount)
redis.call('INCR', KEYS[3])
return {0, balance - amount}
"""

_POST = """
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
for i = 4, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('INCRBY', KEYS[i], ARGV[i - 1]) end
end
redis.call('INCR', KEYS[2])
if ARGV[2] == '1' then
  local guards = tonumber(redis.call('GET', KEYS[3]) or '0')
  if guards > 1 then redis.call('DECR', KEYS[3]) else redis.call('DEL', KEYS[3]) end
end
return 0
"""
"""KEYS: balance, touch, guard, spent...; ARGV: account delta, end the guard ('1'), spent deltas..."""

_RESET = """
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then return {-1, ''} end
local missing = redis.call('EXISTS', KEYS[1]) == 0
if not missing and (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return {-1, ''} end
local before = redis.call('GET', KEYS[1]) or ''
local same = before == ARGV[2]
for i = 4, #KEYS do
  if (redis.call('GET', KEYS[i]) or '') ~= ARGV[i - 1] then same = false end
end
if same then return {0, before} end
redis.call('SET', KEYS[1], ARGV[2])
for i = 4, #KEYS do redis.call('SET', KEYS[i], ARGV[i - 1]) end
redis.call('INCR', KEYS[2])
return {1, before}
"""
"""Reset an account's counters when its version is still ``ARGV[1]`` (or its balance is missing)
and no store-first change is under way. KEYS: balance, touch, guard, spent...; ARGV: version,
balance, spent values... Returns {-1} (moved meanwhile), {0} (already right) or {1, before}."""


class Counted(NamedTuple):
    """An account's counter version and whether its balance is counted at all."""

    version: bytes | None
    seeded: bool


class RedisBalances:
    def __init__(self, url: str, prefix: str) -> None:
        # fail fast and retry once: a hold waits at most a few seconds for an unreachable Redis
        self._client = pooled_client(url, timeout_s=2, retries=1)
        self._prefix = prefix
        self._hold = self._client.register_script(_HOLD)
        self._post = self._client.register_script(_POST)
        self._reset = self._client.register_script(_RESET)
        self.dirty: set[int] = set()
        """Accounts whose counters a Redis error may have left different from the ledger."""
        self.all_dirty = False
        """A seed failed: every account is to be reconciled."""

    def _account(self, account_id: int) -> str:
        return f"{self._prefix}:balance:{account_id}"

    def _key(self, key_id: int) -> str:
        return f"{self._prefix}:spent:{key_id}"

    def _touch(self, account_id: int) -> str:
        return f"{self._prefix}:touch:{account_id}"

    def _guard(self, account_id: int) -> str:
        return f"{self._prefix}:guard:{account_id}"

    def _lost(self, what: str, exc: Exception, account_ids: Iterable[int]) -> None:
        self.dirty |= set(account_ids)
        log.warning("Redis failed; the live counters will be reconciled from the ledger", during=what, error=str(exc))

    async def seed(self, balances: dict[int, int], spent: dict[int, int]) -> None:
        """Counters missing in Redis (first start, Redis restarted) are set; existing ones are kept."""
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for account_id, value in balances.items():
                    pipe.set(self._account(account_id), value, nx=True)
                for key_id, value in spent.items():
                    pipe.set(self._key(key_id), value, nx=True)
                await pipe.execute()
        except aioredis.RedisError as exc:
            self.all_dirty = True
            self._lost("seeding", exc, ())

    async def hold(self, account_id: int, key_id: int, amount: int, cap: int | None) -> None:
        keys = [self._account(account_id), self._key(key_id), self._touch(account_id)]
        try:
            reason, balance = await self._hold(keys=keys, args=[amount, -1 if cap is None else cap])
        except aioredis.RedisError as exc:
            self._lost("a hold", exc, [account_id])
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc
        if reason == _UNSEEDED:
            self.dirty.add(account_id)
            raise StoreUnavailable("This account's live balance is being rebuilt from the ledger; retry in a moment.")
        if reason != 0:
            raise refuse(int(reason), amount, int(balance), cap)

    async def _apply(self, account_id: int, amount: int, spent: dict[int, int], *, end_guard: bool) -> None:
        keys = [self._account(account_id), self._touch(account_id), self._guard(account_id)]
        keys += [self._key(k) for k in spent]
        await self._post(keys=keys, args=[amount, "1" if end_guard else "0", *spent.values()])

    async def post(self, account_id: int, key_id: int | None, amount: int) -> None:
        try:
            await self._apply(account_id, amount, {} if key_id is None else {key_id: -amount}, end_guard=False)
        except aioredis.RedisError as exc:
            self._lost("a settlement", exc, [account_id])

    @asynccontextmanager
    async def external(self, account_ids: Iterable[int] = ()) -> AsyncIterator[External]:
        """Guard (before the store commit), then post (after it); posts only what was guarded in time."""
        block = _RedisExternal(self)
        await block.guard(account_ids)
        try:
            yield block
        finally:
            await block.finish()

    async def balance(self, account_id: int) -> int:
        try:
            value = await self._client.get(self._account(account_id))
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc
        return int(value or 0)

    async def counted(self, account_ids: list[int]) -> list[Counted]:
        """Each account's version and whether its balance exists (for :mod:`~omnirelay.billing.reconcile`)."""
        counted: list[Counted] = []
        try:
            for start in range(0, len(account_ids), 1000):
                chunk = account_ids[start : start + 1000]
                touches = await self._client.mget([self._touch(a) for a in chunk])
                seeded = await self._client.mget([self._account(a) for a in chunk])
                versions = [t.encode() if isinstance(t, str) else t for t in touches]
                counted += [Counted(v, s is not None) for v, s in zip(versions, seeded, strict=True)]
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc
        return counted

    async def reset(
        self, account_id: int, version: bytes | None, balance: int, spent: dict[int, int]
    ) -> tuple[bool, int | None]:
        """Set the account's counters unless they moved since ``version``: (done, the balance Redis
        had when it was different). Not done: they moved, or a store-first change is under way."""
        keys = [self._account(account_id), self._touch(account_id), self._guard(account_id)]
        keys += [self._key(k) for k in spent]
        try:
            outcome, before = await self._reset(keys=keys, args=[version or b"", balance, *spent.values()])
        except aioredis.RedisError as exc:
            raise StoreUnavailable(f"The balance store (Redis) is unavailable: {exc}") from exc
        if int(outcome) < 0:
            return False, None
        self.dirty.discard(account_id)
        return True, int(before) if int(outcome) == 1 and before else None

    async def close(self) -> None:
        await self._client.aclose()


class _RedisExternal(External):
    def __init__(self, balances: RedisBalances) -> None:
        super().__init__()
        self._balances = balances
        self._failed = False

    async def guard(self, account_ids: Iterable[int]) -> None:
        fresh = set(account_ids) - self.guarded
        if not fresh:
            return
        self.guarded |= fresh
        if self._failed:
            return
        b = self._balances
        try:
            async with b._client.pipeline(transaction=False) as pipe:
                for account_id in fresh:
                    pipe.incr(b._guard(account_id))
                    pipe.pexpire(b._guard(account_id), _GUARD_TTL_MS)
                await pipe.execute()
        except aioredis.RedisError as exc:
            self._failed = True
            b._lost("a guard", exc, self.guarded)

    async def finish(self) -> None:
        """Apply the posts (summed per account) and end every guard; on failure, leave it to reconciling."""
        b = self._balances
        accounts: defaultdict[int, int] = defaultdict(int)
        spent: defaultdict[int, defaultdict[int, int]] = defaultdict(lambda: defaultdict(int))
        for account_id, key_id, amount in self.posts:
            accounts[account_id] += amount
            if key_id is not None:
                spent[account_id][key_id] -= amount
        if self._failed or not set(accounts) <= self.guarded:  # never move a counter a reconcile may count
            self.reflected = not self.posts
            self.guarded |= set(accounts)
            b.dirty |= self.guarded
            return
        try:
            for account_id in self.guarded:
                await b._apply(account_id, accounts.get(account_id, 0), dict(spent[account_id]), end_guard=True)
        except aioredis.RedisError as exc:
            self.reflected = not self.posts
            b._lost("a store-first change", exc, self.guarded)
