"""Checking who signs in: the password (rate limited), then the second factor when the user has one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.accounts.login_limits import LoginLimiter
from omnirelay.accounts.passwords import verify_password
from omnirelay.accounts.totp import accepted_step
from omnirelay.accounts.users import User, load_login, use_totp_step
from omnirelay.channels.crypto import SecretBox
from omnirelay.errors import AuthenticationFailed

__all__ = ["check_password", "check_totp"]


async def check_password(engine: AsyncEngine, limiter: LoginLimiter, login: str, password: str, ip: str | None) -> User:
    """The user ``login`` names when ``password`` is theirs; 401 ``bad_credentials`` otherwise (the
    same answer for an unknown name), 429 once the name or the address is out of attempts."""
    limiter.check(login, ip)
    user = await load_login(engine, login)
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.enabled:
        limiter.failed(login, ip)
        raise AuthenticationFailed("Wrong user name or password.", code="bad_credentials")
    limiter.succeeded(login)
    return user


async def check_totp(
    engine: AsyncEngine, box: SecretBox, limiter: LoginLimiter, user: User, code: str, ip: str | None
) -> None:
    """Accept ``code`` from the user's authenticator once; wrong codes count as failed sign-ins."""
    limiter.check(user.username, ip)
    seed = box.open(user.totp_secret)[0] if user.totp_secret else None
    step = accepted_step(seed, code, user.totp_last_step) if seed else None
    if step is None or not await use_totp_step(engine, user.id, step):
        limiter.failed(user.username, ip)
        raise AuthenticationFailed("Wrong or already used two-factor code.", code="bad_totp_code")
