"""Top-ups as the admin API and the CLI make them: once per idempotency key, the store before the counters.

The ledger entry is committed first and then moved onto the live counters (Redis). Should that
second step fail, the top-up still succeeded: it is answered as such, with a warning, and the
counters are reconciled from the ledger (``billing/reconcile.py``), so nobody retries a top-up
that was made. With an idempotency key, the key and the answer are committed in the entry's
transaction; a retry with the same key is answered that answer and credits nothing, and a key
sent again with another top-up is refused (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.admin.accounts import top_up, top_up_in
from omnirelay.billing.balances import Balances
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import idempotency_keys
from omnirelay.errors import IdempotencyKeyReused, InvalidRequest

__all__ = ["MAX_KEY_CHARS", "NOT_LIVE_YET", "TopUp", "checked_key", "credit"]

MAX_KEY_CHARS = 200
NOT_LIVE_YET = (
    "The top-up is recorded, but the live balance (Redis) could not be updated now: calls see it once "
    "the gateway reconciles Redis with the ledger (at the latest within billing.reconcile_interval_s "
    "after Redis answers again). Do not retry it."
)


@dataclass(frozen=True, slots=True)
class TopUp:
    account: dict[str, Any]
    """The account right after the top-up (on a replay: as the first attempt answered it)."""
    replayed: bool = False
    warnings: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        return {**self.account, "warnings": list(self.warnings)} if self.warnings else self.account


def checked_key(key: str | None) -> str | None:
    """An idempotency key as given: 1 to 200 printable characters, or a 400 that says so."""
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_CHARS or not key.isprintable():
        raise InvalidRequest(
            f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable characters (a payment id or a UUID will do).",
            param="Idempotency-Key",
        )
    return key


async def _stored(engine: AsyncEngine, key: str) -> Any:
    async with engine.connect() as conn:
        query = sa.select(idempotency_keys).where(idempotency_keys.c.key == key)
        return (await conn.execute(query)).one_or_none()


def _replay(row: Any, request: dict[str, Any], key: str) -> dict[str, Any]:
    if row.operation != "topup" or row.request != request:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key {key!r} was already used for another request ({row.operation} {row.request}). "
            "Send a new key for a new top-up, or the same body to get the first answer again."
        )
    response: dict[str, Any] = row.response
    return response


async def _once(
    engine: AsyncEngine, account_id: int, amount: int, reference: str | None, key: str
) -> tuple[dict[str, Any], bool]:
    """The account after the top-up, and whether it is a replay of an earlier one."""
    request = {"account_id": account_id, "amount": amount, "reference": reference}
    stored = await _stored(engine, key)
    if stored is not None:
        return _replay(stored, request, key), True
    try:
        async with engine.begin() as conn:
            account = await top_up_in(conn, account_id, amount, reference=reference)
            row = {"key": key, "operation": "topup", "request": request, "response": account}
            await conn.execute(sa.insert(idempotency_keys).values(**row, created_at=now_ms()))
    except (sa.exc.IntegrityError, sa.exc.OperationalError):
        stored = await _stored(engine, key)  # a concurrent attempt with the same key committed first
        if stored is None:
            raise
        return _replay(stored, request, key), True
    return account, False


async def credit(
    engine: AsyncEngine,
    balances: Balances,
    account_id: int,
    amount: int,
    *,
    reference: str | None = None,
    idempotency_key: str | None = None,
) -> TopUp:
    """Commit the top-up (once per key), then move it onto the live counters."""
    key = checked_key(idempotency_key)
    async with balances.external({account_id}) as external:
        if key is None:
            account, replayed = await top_up(engine, account_id, amount, reference=reference), False
        else:
            account, replayed = await _once(engine, account_id, amount, reference, key)
        if not replayed:
            external.post(account_id, None, amount)
    return TopUp(account, replayed, () if external.reflected else (NOT_LIVE_YET,))
