"""Server-side sessions of console users: cookie sessions and personal access tokens.

The client holds an opaque random id; the store keeps only its SHA-256, so a copy of the store
signs nobody in. Each session carries its own CSRF token. A sign-in always opens a new session
(no fixation); a session that still owes the second factor (stage ``totp``) is replaced by a new
one when the code is right.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.db.engine import now_ms
from omnirelay.db.tables import user_sessions

__all__ = [
    "COOKIE_PREFIX",
    "TOKEN_PREFIX",
    "Session",
    "close_session",
    "load_session",
    "open_session",
    "set_pending_totp",
]

Kind = Literal["cookie", "token"]
Stage = Literal["full", "totp"]
COOKIE_PREFIX = "ors_"
TOKEN_PREFIX = "orpat_"  # noqa: S105 - the prefix that tells an access token apart, not a secret


@dataclass(frozen=True, slots=True)
class Session:
    id_hash: str
    user_id: int
    kind: str
    stage: str
    csrf_token: str
    expires_at: int
    pending_totp: str | None

    @classmethod
    def from_row(cls, row: Any) -> Session:
        return cls(
            id_hash=row.id_hash,
            user_id=row.user_id,
            kind=row.kind,
            stage=row.stage,
            csrf_token=row.csrf_token,
            expires_at=row.expires_at,
            pending_totp=row.pending_totp,
        )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def open_session(
    engine: AsyncEngine, user_id: int, *, kind: Kind, stage: Stage, ttl_s: float, ip: str | None
) -> tuple[str, Session]:
    """A new session; returns its id (given to the client once) and the record. Expired sessions go."""
    secret = (COOKIE_PREFIX if kind == "cookie" else TOKEN_PREFIX) + secrets.token_urlsafe(32)
    now = now_ms()
    session = Session(
        id_hash=_hash(secret),
        user_id=user_id,
        kind=kind,
        stage=stage,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + int(ttl_s * 1000),
        pending_totp=None,
    )
    async with engine.begin() as conn:
        await conn.execute(sa.delete(user_sessions).where(user_sessions.c.expires_at < now))
        await conn.execute(
            sa.insert(user_sessions).values(
                id_hash=session.id_hash,
                user_id=user_id,
                kind=kind,
                stage=stage,
                csrf_token=session.csrf_token,
                created_at=now,
                expires_at=session.expires_at,
                ip=(ip or "")[:64] or None,
            )
        )
    return secret, session


async def load_session(engine: AsyncEngine, secret: str) -> Session | None:
    """The live session ``secret`` names, or None (unknown or expired)."""
    query = sa.select(user_sessions).where(user_sessions.c.id_hash == _hash(secret))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).one_or_none()
    if row is None or row.expires_at <= now_ms():
        return None
    return Session.from_row(row)


async def close_session(engine: AsyncEngine, id_hash: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.delete(user_sessions).where(user_sessions.c.id_hash == id_hash))


async def set_pending_totp(engine: AsyncEngine, id_hash: str, sealed_seed: str | None) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(user_sessions).where(user_sessions.c.id_hash == id_hash).values(pending_totp=sealed_seed)
        )
