"""The ledger: reserve before the upstream call, settle or refund after, never twice.

Balances and key spend live in memory (this process is their only writer on the hot path)
and every change is also a :class:`~omnirelay.db.writebehind.LedgerRow` committed in
batches. Per request the entries add up to minus the real cost:

* ``reserve``  ``-estimate``             before the upstream call;
* ``settle``   ``+estimate - cost``      after it succeeded (bills what was delivered);
* ``refund``   ``+estimate``             after it failed;
* ``release``  ``+estimate``             for a reservation whose owner process stopped renewing its lease.

Each entry records the process that wrote it (a reserve: its owner); the store refuses a second
closing entry (settle, refund or release) for one reservation, so none is ever closed twice,
whichever processes race to close it.

Live counters sit in :mod:`omnirelay.billing.balances` (this process, or Redis when
several processes share one store); every change is also a ledger row.

The ledger is where a call's money is bounded, whatever its usage said: a hold is from 0 to
``MAX_AMOUNT``, and a settlement charges from 0 to the hold plus ``overage_tolerance`` of it
(:func:`~omnirelay.billing.amounts.settle_bound`). A cost above that bound is not charged:
:class:`Settlement` says how much was left unbilled, for the log row and the operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import structlog

from omnirelay.accounts.keys import KeyRecord
from omnirelay.billing.amounts import MAX_AMOUNT, settle_bound
from omnirelay.billing.balances import Balances
from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import LedgerRow, WriteBehind
from omnirelay.errors import InsufficientBalance, OmniRelayError

__all__ = ["Ledger", "Reservation", "Settlement"]

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class Reservation:
    account_id: int
    key_id: int | None
    request_id: str
    amount: int
    closed: bool = field(default=False)


@dataclass(frozen=True, slots=True)
class Settlement:
    charged: int
    """What the call was charged (0 to the settle bound)."""
    unbilled: int = 0
    """What its usage cost beyond the bound, not charged (non-zero: the operator should look)."""


class Ledger:
    def __init__(
        self,
        writer: WriteBehind,
        balances: Balances,
        *,
        overage_tolerance: Fraction = Fraction(0),
        instance: str | None = None,
    ) -> None:
        self._writer = writer
        self.balances = balances
        self._tolerance = overage_tolerance
        self._instance = instance
        """This process (``billing/instances.py``): the owner its reserve entries record."""

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
        if amount < 0:
            raise OmniRelayError(f"A hold of {amount} micro-units is negative: the model's price is broken.")
        if amount > MAX_AMOUNT:
            raise InsufficientBalance(
                f"This request would hold {amount} micro-units, more than any account may hold ({MAX_AMOUNT}). "
                "Lower max_tokens (or n)."
            )
        await self.balances.hold(key.account_id, key.id, amount, key.spend_cap)
        self._record(key.account_id, key.id, request_id, "reserve", -amount)
        return Reservation(key.account_id, key.id, request_id, amount)

    def bounded(self, reservation: Reservation, cost: int) -> Settlement:
        """What settling ``cost`` charges: from 0 to the hold plus its tolerance; the rest is unbilled (logged)."""
        bound = settle_bound(reservation.amount, self._tolerance)
        settlement = Settlement(min(max(cost, 0), bound), max(cost - bound, 0))
        if cost < 0:
            log.error("a negative cost was charged as 0", request_id=reservation.request_id, cost=cost)
        if settlement.unbilled:
            log.warning(
                "usage cost more than the call held: the excess was not charged",
                request_id=reservation.request_id,
                account_id=reservation.account_id,
                held=reservation.amount,
                cost=cost,
                charged=settlement.charged,
                unbilled=settlement.unbilled,
            )
        return settlement

    async def settle(self, reservation: Reservation, cost: int) -> Settlement:
        """Charge ``cost`` (:meth:`bounded`) for a finished call and give back the rest of the hold. Idempotent."""
        if reservation.closed:
            return Settlement(0)
        settlement = self.bounded(reservation, cost)
        await self._close(reservation, "settle", reservation.amount - settlement.charged)
        return settlement

    async def refund(self, reservation: Reservation) -> None:
        """Give the whole hold back (the call failed). Idempotent."""
        await self._close(reservation, "refund", reservation.amount)

    async def _close(self, reservation: Reservation, kind: str, amount: int) -> None:
        if reservation.closed:
            return
        reservation.closed = True
        try:
            await self.balances.post(reservation.account_id, reservation.key_id, amount)
        finally:  # counters move before the entry exists: a reconciliation never counts it twice
            self._record(reservation.account_id, reservation.key_id, reservation.request_id, kind, amount)

    def _record(self, account_id: int, key_id: int | None, request_id: str, kind: str, amount: int) -> None:
        self._writer.add_entry(LedgerRow(account_id, key_id, request_id, kind, amount, now_ms(), self._instance))
