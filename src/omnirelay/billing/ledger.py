"""The ledger: reserve before the upstream call, settle or refund after, never twice.

Balances and key spend live in memory (this process is their only writer on the hot path)
and every change is also a :class:`~omnirelay.db.writebehind.LedgerRow` committed in
batches. Per request the entries add up to minus the real cost:

* ``reserve``  ``-estimate``             before the upstream call;
* ``settle``   ``+estimate - cost``      after it succeeded (bills what was delivered);
* ``refund``   ``+estimate``             after it failed;
* ``release``  ``+estimate``             at start-up, for a reservation a killed process left open.

Live counters sit in :mod:`omnirelay.billing.balances` (this process, or Redis when
several processes share one store); every change is also a ledger row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omnirelay.accounts.keys import KeyRecord
from omnirelay.billing.balances import Balances
from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import LedgerRow, WriteBehind

__all__ = ["Ledger", "Reservation"]


@dataclass(slots=True)
class Reservation:
    account_id: int
    key_id: int | None
    request_id: str
    amount: int
    closed: bool = field(default=False)


class Ledger:
    def __init__(self, writer: WriteBehind, balances: Balances) -> None:
        self._writer = writer
        self.balances = balances

    async def load(self, balances: dict[int, int], key_spent: dict[int, int]) -> None:
        """Seed the live counters with committed values plus what this process has not committed yet.

        Call with ``writer.lock`` held and values read from the store under that lock.
        """
        await self.balances.seed(
            {a: b + self._writer.pending_account_delta(a) for a, b in balances.items()},
            {k: s + self._writer.pending_key_spend(k) for k, s in key_spent.items()},
        )

    async def reserve(self, key: KeyRecord, request_id: str, amount: int) -> Reservation:
        """Hold ``amount`` on the key's account, or refuse with 402 when it cannot be covered."""
        await self.balances.hold(key.account_id, key.id, amount, key.spend_cap)
        self._record(key.account_id, key.id, request_id, "reserve", -amount)
        return Reservation(key.account_id, key.id, request_id, amount)

    async def settle(self, reservation: Reservation, cost: int) -> None:
        """Charge ``cost`` for a finished call and give back the rest of the hold. Idempotent."""
        await self._close(reservation, "settle", reservation.amount - cost)

    async def refund(self, reservation: Reservation) -> None:
        """Give the whole hold back (the call failed). Idempotent."""
        await self._close(reservation, "refund", reservation.amount)

    async def _close(self, reservation: Reservation, kind: str, amount: int) -> None:
        if reservation.closed:
            return
        reservation.closed = True
        self._record(reservation.account_id, reservation.key_id, reservation.request_id, kind, amount)
        await self.balances.post(reservation.account_id, reservation.key_id, amount)

    def _record(self, account_id: int, key_id: int | None, request_id: str, kind: str, amount: int) -> None:
        self._writer.add_entry(LedgerRow(account_id, key_id, request_id, kind, amount, now_ms()))
