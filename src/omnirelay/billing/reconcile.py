"""Reconciling Redis's live counters with the ledger, which is the truth.

An account's counters (its balance and its keys' spend) are reset to what the store says (the
committed values plus what this process has not committed yet) only when nothing moved them
for a whole pass: the account's ``touch`` version is the same on two passes ``quiet_s`` apart,
and no store-first change (top-up, release) is guarded on it. Every other process's entries for
the account are committed by then (write-behind flushes every ``writer.flush_interval_s``, a
tenth of ``quiet_s`` at most), so the store says exactly what Redis should. A counter that moves
between the read and the reset makes the reset a no-op (compare-and-set on the version): the
account is tried again on the next pass. An account without a balance counter (Redis lost its
data) is seeded at once.

Passes cover the accounts a Redis error left dirty in this process, and every account every
``billing.reconcile_interval_s`` (which also repairs what another process or the CLI could not,
when it met Redis down). At start-up a process alone on the store resets everything at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.background import cancel_and_wait, every
from omnirelay.billing.balances import Counted, RedisBalances
from omnirelay.db.tables import accounts, api_keys
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import StoreUnavailable

__all__ = ["Reconciler"]

log = structlog.get_logger(__name__)

_CHUNK = 1000

_Truth = dict[int, tuple[int, dict[int, int]]]
"""Per account: its balance and its keys' spend, as the ledger says."""


def _chunks(ids: Sequence[int]) -> list[Sequence[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


class Reconciler:
    def __init__(
        self,
        engine: AsyncEngine,
        writer: WriteBehind,
        balances: RedisBalances,
        *,
        quiet_s: float,
        full_interval_s: float,
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._balances = balances
        self.quiet_s = quiet_s
        self._full_interval_s = full_interval_s
        self._full_due = 0.0
        self._pending: set[int] = set()
        self._seen: dict[int, bytes | None] = {}
        self._task: asyncio.Task[None] | None = None

    async def _all_accounts(self) -> list[int]:
        async with self._engine.connect() as conn:
            return list(await conn.scalars(sa.select(accounts.c.id).order_by(accounts.c.id)))

    async def _truth(self, account_ids: Sequence[int]) -> _Truth:
        """Committed balances and spend plus this process's pending entries, read consistently."""
        truth: _Truth = {}
        spent: defaultdict[int, dict[int, int]] = defaultdict(dict)
        async with self._writer.lock, self._engine.connect() as conn:
            for chunk in _chunks(account_ids):
                keys = sa.select(api_keys.c.id, api_keys.c.account_id, api_keys.c.spent)
                for k in await conn.execute(keys.where(api_keys.c.account_id.in_(chunk))):
                    spent[k.account_id][k.id] = k.spent + self._writer.pending_key_spend(k.id)
                rows = await conn.execute(sa.select(accounts.c.id, accounts.c.balance).where(accounts.c.id.in_(chunk)))
                for a in rows:
                    truth[a.id] = (a.balance + self._writer.pending_account_delta(a.id), spent[a.id])
        return truth

    async def _reset(self, account_ids: Sequence[int], counted: dict[int, Counted]) -> set[int]:
        """Reset each account that did not move since ``counted``; returns those done (or gone)."""
        truth = await self._truth(account_ids)
        done = {a for a in account_ids if a not in truth}
        for account_id, (balance, spent) in truth.items():
            ok, before = await self._balances.reset(account_id, counted[account_id].version, balance, spent)
            if not ok:
                continue
            done.add(account_id)
            if before is not None:
                log.warning(
                    "corrected a live balance from the ledger", account_id=account_id, redis=before, ledger=balance
                )
        return done

    async def reconcile_all_now(self) -> None:
        """Reset every account's counters at once (start-up, no other process serving)."""
        ids = await self._all_accounts()
        counted = dict(zip(ids, await self._balances.counted(ids), strict=True))
        await self._reset(ids, counted)
        self._full_due = time.monotonic() + self._full_interval_s

    async def tick(self) -> None:
        """One pass: reset the pending accounts that stayed quiet since the last pass."""
        balances = self._balances
        if balances.all_dirty or time.monotonic() >= self._full_due:
            balances.all_dirty = False
            self._full_due = time.monotonic() + self._full_interval_s
            self._pending |= set(await self._all_accounts())
        self._pending |= balances.dirty
        if not self._pending:
            return
        ids = sorted(self._pending)
        counted = dict(zip(ids, await balances.counted(ids), strict=True))
        ready = [a for a in ids if not counted[a].seeded or self._seen.get(a, b"-") == counted[a].version]
        if ready:
            self._pending -= await self._reset(ready, counted)
        self._seen = {a: counted[a].version for a in self._pending}

    def start(self) -> None:
        # StoreUnavailable: Redis still away, the accounts stay pending
        failure = "reconciling the live counters failed; will retry"
        run = every(self.quiet_s, self.tick, log=log, failure=failure, quiet=(StoreUnavailable,))
        self._task = asyncio.create_task(run, name="omnirelay-reconcile")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
