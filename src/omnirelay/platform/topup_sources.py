"""Where credit comes from: the seam a payment processor plugs into.

A :class:`TopUpSource` turns a proof (a redemption code, a processor's payment id...) into an amount,
and marks the proof spent **inside the transaction** that writes the ledger entry, so a proof
credits once even when two requests present it at the same time: the second one finds it spent
(PostgreSQL re-checks the row after the first commits; SQLite runs writers one at a time).
:func:`apply_top_up` is the one path every source goes through: the same ledger entry and live
counter move as an operator's top-up (``admin/topups.py``); balances are never written by hand.

A payment processor is one more class with ``name`` and ``claim`` (verify the payment with the
processor, then insert its id into a table with a unique key in ``conn``), and one route that
calls :func:`apply_top_up` with it; none ships today.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.admin.accounts import top_up_in
from omnirelay.admin.topups import NOT_LIVE_YET, TopUp
from omnirelay.billing.balances import Balances

__all__ = ["Claim", "TopUpSource", "apply_top_up"]


@dataclass(frozen=True, slots=True)
class Claim:
    amount: int
    """Micro-units to credit (more than zero)."""
    reference: str
    """The ledger entry's reference: names the source and the proof (``code_12``, ``stripe_pi_...``)."""


class TopUpSource(Protocol):
    name: str

    async def claim(self, conn: AsyncConnection, account_id: int, proof: str) -> Claim:
        """Check ``proof`` and mark it spent by ``account_id`` in ``conn`` (the ledger's transaction);
        raise an :class:`~omnirelay.errors.OmniRelayError` when it cannot be used (unknown, spent, expired)."""
        ...


async def apply_top_up(
    engine: AsyncEngine, balances: Balances, source: TopUpSource, account_id: int, proof: str
) -> tuple[TopUp, Claim]:
    """Claim ``proof`` and credit the account in one transaction, then move the live counters."""
    async with balances.external({account_id}) as external:
        async with engine.begin() as conn:
            claim = await source.claim(conn, account_id, proof)
            account: dict[str, Any] = await top_up_in(conn, account_id, claim.amount, reference=claim.reference)
        external.post(account_id, None, claim.amount)
    return TopUp(account, False, () if external.reflected else (NOT_LIVE_YET,)), claim
