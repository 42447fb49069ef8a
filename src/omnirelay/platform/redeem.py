"""Top-up by redemption code: the code is the proof of a :class:`~omnirelay.platform.topup_sources.TopUpSource`.

Claiming is one conditional UPDATE (not redeemed, not disabled, not expired) inside the ledger's
transaction: of two concurrent redeems of one code exactly one changes the row and credits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.admin.codes import code_hash, public_code
from omnirelay.billing.balances import Balances
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import redemption_codes
from omnirelay.errors import InvalidRequest
from omnirelay.platform.topup_sources import Claim, apply_top_up

__all__ = ["RedemptionCodes", "own_redemptions", "redeem"]

_c = redemption_codes.c
_MAX_CODE_CHARS = 100


class RedemptionCodes:
    """The operator's single-use codes as a top-up source."""

    name = "code"

    async def claim(self, conn: AsyncConnection, account_id: int, proof: str) -> Claim:
        now = now_ms()
        usable = sa.and_(
            _c.code_hash == code_hash(proof),
            _c.redeemed_at.is_(None),
            _c.disabled_at.is_(None),
            sa.or_(_c.expires_at.is_(None), _c.expires_at > now),
        )
        claimed = (
            await conn.execute(
                sa.update(redemption_codes)
                .where(usable)
                .values(redeemed_by=account_id, redeemed_at=now)
                .returning(_c.id, _c.amount)
            )
        ).first()
        if claimed is None:
            raise InvalidRequest(
                "This redemption code is unknown, already used, disabled or expired.",
                param="code",
                code="code_not_redeemable",
            )
        return Claim(int(claimed.amount), f"code_{claimed.id}")


async def redeem(engine: AsyncEngine, balances: Balances, account_id: int, code: str) -> dict[str, Any]:
    """Credit the account with the code's amount, once; the account afterwards and what was credited."""
    code = code.strip()
    if not code or len(code) > _MAX_CODE_CHARS:
        raise InvalidRequest("Enter a redemption code.", param="code", code="code_not_redeemable")
    done, claim = await apply_top_up(engine, balances, RedemptionCodes(), account_id, code)
    body: dict[str, Any] = {"credited": claim.amount, "balance": done.account["balance"], "reference": claim.reference}
    if done.warnings:
        body["warnings"] = list(done.warnings)
    return body


async def own_redemptions(engine: AsyncEngine, account_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The codes this account redeemed, newest first."""
    stmt = sa.select(redemption_codes).where(_c.redeemed_by == account_id).order_by(_c.redeemed_at.desc()).limit(limit)
    async with engine.connect() as conn:
        rows = [public_code(r) for r in await conn.execute(stmt)]
    return [{k: r[k] for k in ("id", "code_hint", "amount", "redeemed_at")} for r in rows]
