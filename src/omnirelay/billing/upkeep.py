"""The background side of billing in one gateway process.

* its lease (:mod:`~omnirelay.billing.instances`): the reservations it makes stay its own while it lives;
* releasing what stopped processes left open (:mod:`~omnirelay.billing.recovery`): at start-up
  and every lease period;
* with Redis, keeping the live counters equal to the ledger (:mod:`~omnirelay.billing.reconcile`):
  at start-up, after any Redis error, and every ``billing.reconcile_interval_s``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.billing.balances import Balances, RedisBalances
from omnirelay.billing.instances import Instance
from omnirelay.billing.reconcile import Reconciler
from omnirelay.billing.recovery import OwnerSweeper, release_stale_reservations
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import StoreUnavailable
from omnirelay.settings import Settings

__all__ = ["BillingUpkeep"]

log = structlog.get_logger(__name__)


class BillingUpkeep:
    def __init__(
        self,
        *,
        engine: AsyncEngine,
        writer: WriteBehind,
        balances: Balances,
        instance: Instance,
        settings: Settings,
        reseed: Callable[[], Awaitable[None]],
    ) -> None:
        """``reseed`` re-reads balances from the store (the catalog reload) after holds were released."""
        self._engine = engine
        self._balances = balances
        self._instance = instance
        self._reservation_timeout_s = settings.relay.reservation_timeout_s
        self._sweeper = OwnerSweeper(engine, instance, balances, reseed)
        self.reconciler: Reconciler | None = None
        if isinstance(balances, RedisBalances):
            quiet_s = max(1.0, 10 * settings.writer.flush_interval_s)
            full_s = settings.billing.reconcile_interval_s
            self.reconciler = Reconciler(engine, writer, balances, quiet_s=quiet_s, full_interval_s=full_s)

    async def open(self) -> None:
        """Before serving: take a lease, release what stopped processes left open, reconcile the counters."""
        await self._instance.register()
        async with self._balances.external() as external:
            released = await release_stale_reservations(
                self._engine,
                external,
                older_than_s=self._reservation_timeout_s,
                lease_s=self._instance.lease_s,
                by=self._instance.id,
            )
        if released:
            log.warning("released reservations left open by a stopped process", count=len(released))
        if self.reconciler is None or await self._instance.others_alive():
            return  # another process serves: its counters move, so reconcile on quiet passes only
        try:
            await self.reconciler.reconcile_all_now()
        except StoreUnavailable as exc:
            log.warning(
                "Redis is unavailable at start-up; the live counters are reconciled once it answers", error=str(exc)
            )

    def start(self) -> None:
        self._instance.start()
        self._sweeper.start()
        if self.reconciler is not None:
            self.reconciler.start()

    async def stop(self) -> None:
        """Call after the write-behind committed everything: the lease is given up last."""
        if self.reconciler is not None:
            await self.reconciler.stop()
        await self._sweeper.stop()
        await self._instance.stop()
