"""Sign-in, the second-factor step and sign-out, shared by the platform API and the console pages.

Every sign-in opens a new session (the id a client had before is never promoted: no fixation).
A user with two-factor sign-in gets, for a cookie, a short session of stage ``totp`` that can do
nothing but send the code; the right code replaces it by a full session with a new id.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from omnirelay.accounts.sessions import Kind, Session, close_session, open_session
from omnirelay.accounts.users import User
from omnirelay.api.platform.principal import client_ip, login_limiter, platform_runtime, signed_in
from omnirelay.errors import AuthenticationFailed
from omnirelay.platform.signin import check_password, check_totp

__all__ = ["SignedIn", "finish_totp", "sign_in", "sign_out", "start_session"]

_TOTP_STEP_TTL_S = 300.0


@dataclass(frozen=True, slots=True)
class SignedIn:
    secret: str
    """The session id or access token, for the client (once)."""
    session: Session
    user: User
    ttl_s: float


async def start_session(request: Request, user: User, kind: Kind, *, totp_owed: bool = False) -> SignedIn:
    console = platform_runtime(request).settings.console
    if totp_owed:
        ttl = _TOTP_STEP_TTL_S
    else:
        ttl = console.session_ttl_s if kind == "cookie" else console.token_ttl_s
    secret, session = await open_session(
        platform_runtime(request).engine,
        user.id,
        kind=kind,
        stage="totp" if totp_owed else "full",
        ttl_s=ttl,
        ip=client_ip(request),
    )
    return SignedIn(secret, session, user, ttl)


async def sign_in(request: Request, login: str, password: str, totp_code: str | None, kind: Kind) -> SignedIn:
    """Check the password (and the code, when given); a token needs the code in the same call."""
    runtime, ip = platform_runtime(request), client_ip(request)
    user = await check_password(runtime.engine, login_limiter(request), login, password, ip)
    owed = user.totp_secret is not None
    if owed and totp_code:
        await check_totp(runtime.engine, runtime.box, login_limiter(request), user, totp_code, ip)
        owed = False
    if owed and kind == "token":
        raise AuthenticationFailed("This user signs in with a second factor: send totp_code too.", code="totp_required")
    return await start_session(request, user, kind, totp_owed=owed)


async def finish_totp(request: Request, code: str, *, csrf: str | None = None) -> SignedIn:
    """The second step: the ``totp`` session the cookie names is replaced by a full one. ``csrf``: the
    token a console form carried (the API's ``X-CSRF-Token`` header otherwise)."""
    runtime = platform_runtime(request)
    pending = await signed_in(request, stage="totp", csrf=csrf, cookie_only=True)
    await check_totp(runtime.engine, runtime.box, login_limiter(request), pending.user, code, client_ip(request))
    await close_session(runtime.engine, pending.session.id_hash)
    return await start_session(request, pending.user, "cookie")


async def sign_out(request: Request, session: Session) -> None:
    await close_session(platform_runtime(request).engine, session.id_hash)
