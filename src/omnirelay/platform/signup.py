"""Sign-up: a new account and its first user, as the operator's ``console.signup`` policy allows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.invites import use_invite
from omnirelay.accounts.users import User, checked_username, create_user_in
from omnirelay.admin.accounts import create_account_in
from omnirelay.db.engine import bump_revision
from omnirelay.errors import InvalidRequest, PermissionDenied
from omnirelay.settings import ConsoleSettings

__all__ = ["sign_up"]


async def sign_up(
    engine: AsyncEngine,
    policy: ConsoleSettings,
    *,
    username: str,
    password: str,
    email: str | None = None,
    invite_code: str | None = None,
) -> User:
    """The account (named after the user, balance 0) and its user, in one transaction."""
    if policy.signup == "closed":
        raise PermissionDenied("Sign-up is closed: ask the operator for an account.", code="signup_closed")
    if policy.signup == "invite" and not (invite_code or "").strip():
        raise InvalidRequest("Sign-up needs an invite code.", param="invite_code", code="invite_required")
    name = checked_username(username)
    async with engine.begin() as conn:
        account = await create_account_in(conn, name)
        user = await create_user_in(conn, account["id"], name, password, email=email)
        if policy.signup == "invite":
            await use_invite(conn, invite_code or "", user.id)
        await bump_revision(conn)
    return user
