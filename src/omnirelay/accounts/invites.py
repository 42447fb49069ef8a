"""Sign-up invite codes (the ``invite`` sign-up policy): made by the operator in batches, used once."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import invite_codes
from omnirelay.errors import InvalidRequest

__all__ = ["create_invites", "use_invite"]

_MAX_BATCH = 1000


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


async def create_invites(engine: AsyncEngine, count: int, *, expires_at: int | None = None) -> list[str]:
    """``count`` new codes (shown once; only their hashes are kept)."""
    if not 1 <= count <= _MAX_BATCH:
        raise InvalidRequest(f"count must be 1 to {_MAX_BATCH}.", param="count")
    codes = ["inv-" + secrets.token_urlsafe(12) for _ in range(count)]
    now = now_ms()
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(invite_codes),
            [{"code_hash": _hash(c), "created_at": now, "expires_at": expires_at} for c in codes],
        )
    return codes


async def use_invite(conn: AsyncConnection, code: str, user_id: int) -> None:
    """Mark ``code`` used by ``user_id`` inside the sign-up's transaction; 400 when it cannot be used."""
    now = now_ms()
    result = await conn.execute(
        sa.update(invite_codes)
        .where(invite_codes.c.code_hash == _hash(code), invite_codes.c.used_at.is_(None))
        .where(sa.or_(invite_codes.c.expires_at.is_(None), invite_codes.c.expires_at > now))
        .values(used_by=user_id, used_at=now)
    )
    if result.rowcount != 1:
        raise InvalidRequest("This invite code is unknown, used or expired.", param="invite_code", code="bad_invite")
