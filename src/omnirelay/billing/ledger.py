"""The ledger: reserve before the upstream call, settle or refund after, never twice.

Balances and key spend live in memory (this process is their only writer on the hot path)
and every change is also a :class:`~omnirelay.db.writebehind.LedgerRow` committed in
batches. Per request the entries add up to minus the real cost:

* ``reserve``  ``-estimate``             before the upstream call;
* ``settle``   ``+estimate - cost``      after it succeeded (bills what was delivered);
* ``refund``   ``+estimate``             after it failed;
* ``release``  ``+estimate``             at start-up, for a reservation a killed process left open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from omnirelay.accounts.keys import KeyRecord
from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import LedgerRow, WriteBehind
from omnirelay.errors import InsufficientBalance

__all__ = ["Ledger", "Reservation"]


@dataclass(slots=True)
class Reservation:
    account_id: int
    key_id: int | None
    request_id: str
    amount: int
    closed: bool = field(default=False)


class Ledger:
    def __init__(self, writer: WriteBehind) -> None:
        self._writer = writer
        self._balances: dict[int, int] = {}
        self._key_spent: dict[int, int] = {}

    def load(self, balances: dict[int, int], key_spent: dict[int, int]) -> None:
        """Replace the in-memory view with committed values plus what is not yet committed.

        Call with ``writer.lock`` held and values read from the store under that lock.
        """
        self._balances = {a: b + self._writer.pending_account_delta(a) for a, b in balances.items()}
        self._key_spent = {k: s + self._writer.pending_key_spend(k) for k, s in key_spent.items()}

    def balance(self, account_id: int) -> int:
        return self._balances.get(account_id, 0)

    def key_spent(self, key_id: int) -> int:
        return self._key_spent.get(key_id, 0)

    def reserve(self, key: KeyRecord, request_id: str, amount: int) -> Reservation:
        """Hold ``amount`` on the key's account, or refuse with 402 when it cannot be covered."""
        account_id = key.account_id
        if amount > 0 and self._balances.get(account_id, 0) < amount:
            raise InsufficientBalance(
                "Your account balance is too low for this request "
                f"(needs {amount} micro-units held, has {self._balances.get(account_id, 0)}). "
                "Top up the account or lower max_tokens."
            )
        if key.spend_cap is not None and self.key_spent(key.id) + amount > key.spend_cap:
            raise InsufficientBalance(
                f"This API key reached its spend cap of {key.spend_cap} micro-units. Raise the cap or use another key.",
                code="key_spend_cap_reached",
            )
        reservation = Reservation(account_id, key.id, request_id, amount)
        self._post(account_id, key.id, request_id, "reserve", -amount)
        return reservation

    def settle(self, reservation: Reservation, cost: int) -> None:
        """Charge ``cost`` for a finished call and give back the rest of the hold. Idempotent."""
        if reservation.closed:
            return
        reservation.closed = True
        self._post(
            reservation.account_id,
            reservation.key_id,
            reservation.request_id,
            "settle",
            reservation.amount - cost,
        )

    def refund(self, reservation: Reservation) -> None:
        """Give the whole hold back (the call failed). Idempotent."""
        if reservation.closed:
            return
        reservation.closed = True
        self._post(
            reservation.account_id,
            reservation.key_id,
            reservation.request_id,
            "refund",
            reservation.amount,
        )

    def credit(self, account_id: int, request_id: str, amount: int, kind: str = "topup") -> None:
        self._post(account_id, None, request_id, kind, amount)

    def _post(self, account_id: int, key_id: int | None, request_id: str, kind: str, amount: int) -> None:
        self._balances[account_id] = self._balances.get(account_id, 0) + amount
        if key_id is not None:
            self._key_spent[key_id] = self._key_spent.get(key_id, 0) - amount
        self._writer.add_entry(LedgerRow(account_id, key_id, request_id, kind, amount, now_ms()))
