"""Console users: the people who sign in for an account (by user name or email, with a password).

A user belongs to one account and acts for it. User names and emails are kept lower-cased, so
sign-in ignores case. Changing a password ends every session and token of the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.accounts.passwords import hash_password
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import accounts, user_sessions, users
from omnirelay.errors import InvalidRequest, NotFound

__all__ = [
    "User",
    "checked_email",
    "checked_username",
    "create_user",
    "create_user_in",
    "find_user",
    "get_user",
    "list_users",
    "load_login",
    "set_password",
    "set_totp",
    "use_totp_step",
]

_USERNAME = re.compile(r"[a-z0-9][a-z0-9_.-]{2,99}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class User:
    id: int
    account_id: int
    username: str
    email: str | None
    password_hash: str
    totp_secret: str | None
    totp_last_step: int | None
    enabled: bool
    operator: bool = False
    """Also reaches the operator console (``/console/admin``)."""

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(
            id=row.id,
            account_id=row.account_id,
            username=row.username,
            email=row.email,
            password_hash=row.password_hash,
            totp_secret=row.totp_secret,
            totp_last_step=row.totp_last_step,
            enabled=row.enabled,
            operator=row.operator,
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "username": self.username,
            "email": self.email,
            "totp_enabled": self.totp_secret is not None,
            "enabled": self.enabled,
            "operator": self.operator,
        }


def checked_username(value: str) -> str:
    name = value.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidRequest(
            "A user name has 3 to 100 characters: letters, digits, '_', '.' or '-', starting with a letter or digit.",
            param="username",
        )
    return name


def checked_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidRequest(f"{value!r} is not an email address.", param="email")
    return email


async def create_user(
    engine: AsyncEngine,
    account_id: int,
    username: str,
    password: str,
    *,
    email: str | None = None,
    operator: bool = False,
) -> User:
    async with engine.begin() as conn:
        return await create_user_in(conn, account_id, username, password, email=email, operator=operator)


async def create_user_in(
    conn: AsyncConnection,
    account_id: int,
    username: str,
    password: str,
    *,
    email: str | None = None,
    operator: bool = False,
) -> User:
    """A user of ``account_id`` inside the caller's transaction; 400 ``conflict`` when taken."""
    name, mail = checked_username(username), checked_email(email)
    hashed = hash_password(password)
    if await conn.scalar(sa.select(accounts.c.id).where(accounts.c.id == account_id)) is None:
        raise NotFound(f"No account with id {account_id}.")
    taken = sa.or_(users.c.username == name, users.c.email == name)
    if mail is not None:
        taken = sa.or_(taken, users.c.email == mail, users.c.username == mail)
    if await conn.scalar(sa.select(users.c.id).where(taken)) is not None:
        raise InvalidRequest("That user name or email is already taken.", param="username", code="conflict")
    now = now_ms()
    user_id = (
        await conn.execute(
            sa.insert(users)
            .values(
                account_id=account_id,
                username=name,
                email=mail,
                password_hash=hashed,
                created_at=now,
                password_changed_at=now,
                operator=operator,
            )
            .returning(users.c.id)
        )
    ).scalar_one()
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).one()
    return User.from_row(row)


async def get_user(engine: AsyncEngine, user_id: int) -> User:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(users).where(users.c.id == user_id))).one_or_none()
    if row is None:
        raise NotFound(f"No user with id {user_id}.")
    return User.from_row(row)


async def load_login(engine: AsyncEngine, login: str) -> User | None:
    """The user whose user name or email is ``login`` (any case), or None."""
    value = login.strip().lower()
    query = sa.select(users).where(sa.or_(users.c.username == value, users.c.email == value))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else User.from_row(row)


async def find_user(engine: AsyncEngine, ref: str) -> User:
    """By user name, email, or id (what an operator types)."""
    user = await load_login(engine, ref)
    if user is None and ref.strip().isdigit() and len(ref.strip()) < 10:
        user = await get_user(engine, int(ref))
    if user is None:
        raise NotFound(f"No user named {ref!r}.")
    return user


async def list_users(engine: AsyncEngine, account_id: int | None = None) -> list[User]:
    query = sa.select(users).order_by(users.c.id)
    if account_id is not None:
        query = query.where(users.c.account_id == account_id)
    async with engine.connect() as conn:
        return [User.from_row(r) for r in await conn.execute(query)]


async def set_password(engine: AsyncEngine, user_id: int, password: str) -> None:
    """A new password; every session and access token of the user ends."""
    hashed = hash_password(password)
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.update(users).where(users.c.id == user_id).values(password_hash=hashed, password_changed_at=now_ms())
        )
        if result.rowcount == 0:
            raise NotFound(f"No user with id {user_id}.")
        await conn.execute(sa.delete(user_sessions).where(user_sessions.c.user_id == user_id))


async def set_totp(engine: AsyncEngine, user_id: int, sealed_seed: str | None, step: int | None = None) -> None:
    """Turn the second factor on (a sealed seed, confirmed at ``step``) or off (None)."""
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(users).where(users.c.id == user_id).values(totp_secret=sealed_seed, totp_last_step=step)
        )


async def use_totp_step(engine: AsyncEngine, user_id: int, step: int) -> bool:
    """Record ``step`` as used; False when it (or a later one) was used meanwhile (a replay)."""
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.update(users)
            .where(users.c.id == user_id)
            .where(sa.or_(users.c.totp_last_step.is_(None), users.c.totp_last_step < step))
            .values(totp_last_step=step)
        )
    return bool(result.rowcount)
