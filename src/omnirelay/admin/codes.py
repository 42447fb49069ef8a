"""Redemption codes as the operator makes them (admin API, CLI): batches of single-use top-up codes.

A code is shown once, when its batch is made; only its SHA-256 and a hint (its last characters)
are kept. Customers redeem them through :mod:`omnirelay.platform.redeem`.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.billing.amounts import checked_amount
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import redemption_codes
from omnirelay.errors import InvalidRequest, NotFound

__all__ = ["MAX_BATCH", "code_hash", "create_codes", "disable_code", "list_codes", "public_code"]

MAX_BATCH = 1000
_PREFIX = "rc-"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def public_code(row: Any) -> dict[str, Any]:
    """A stored code as the APIs show it (never the code itself)."""
    values = {str(k): v for k, v in row._mapping.items()}
    values.pop("code_hash", None)
    values["state"] = _state(values)
    return values


def _state(values: dict[str, Any]) -> str:
    if values["redeemed_at"] is not None:
        return "redeemed"
    if values["disabled_at"] is not None:
        return "disabled"
    expires = values["expires_at"]
    return "expired" if expires is not None and expires <= now_ms() else "active"


async def create_codes(
    engine: AsyncEngine, amount: int, count: int, *, expires_at: int | None = None
) -> tuple[str, list[str]]:
    """A batch of ``count`` codes worth ``amount`` micro-units each: its name and the codes (this once)."""
    if checked_amount(amount, "amount") == 0:
        raise InvalidRequest("A code must be worth more than zero.", param="amount")
    if not 1 <= count <= MAX_BATCH:
        raise InvalidRequest(f"count must be 1 to {MAX_BATCH}.", param="count")
    now = now_ms()
    if expires_at is not None and expires_at <= now:
        raise InvalidRequest("expires_at must be in the future.", param="expires_at")
    batch = "batch_" + secrets.token_hex(6)
    codes = [_PREFIX + secrets.token_urlsafe(15) for _ in range(count)]
    rows = [
        {
            "code_hash": code_hash(c),
            "code_hint": "..." + c[-4:],
            "batch": batch,
            "amount": amount,
            "created_at": now,
            "expires_at": expires_at,
        }
        for c in codes
    ]
    async with engine.begin() as conn:
        await conn.execute(sa.insert(redemption_codes), rows)
    return batch, codes


async def list_codes(
    engine: AsyncEngine, *, batch: str | None = None, before_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Codes newest first (``before_id``: the cursor, the last id of the previous page)."""
    stmt = sa.select(redemption_codes).order_by(redemption_codes.c.id.desc()).limit(limit)
    if batch is not None:
        stmt = stmt.where(redemption_codes.c.batch == batch)
    if before_id is not None:
        stmt = stmt.where(redemption_codes.c.id < before_id)
    async with engine.connect() as conn:
        return [public_code(r) for r in await conn.execute(stmt)]


async def disable_code(engine: AsyncEngine, code_id: int) -> dict[str, Any]:
    """No longer redeemable (a redeemed code stays as it was: its credit is in the ledger)."""
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(redemption_codes)
            .where(redemption_codes.c.id == code_id, redemption_codes.c.disabled_at.is_(None))
            .values(disabled_at=now_ms())
        )
        row = (await conn.execute(sa.select(redemption_codes).where(redemption_codes.c.id == code_id))).first()
    if row is None:
        raise NotFound(f"No redemption code with id {code_id}.")
    return public_code(row)
