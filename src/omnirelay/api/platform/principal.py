"""Who is signed in: a console session (cookie) or a personal access token (bearer), and the CSRF check.

A request carried by the session cookie that changes anything must also carry the session's CSRF
token (header ``X-CSRF-Token``, or the ``csrf_token`` form field on console pages); without it the
answer is 403 ``csrf_failed``. A bearer token is never sent by a browser on its own, so it needs none.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.accounts.login_limits import LoginLimiter
from omnirelay.accounts.sessions import TOKEN_PREFIX, Session, load_session
from omnirelay.accounts.users import User, get_user
from omnirelay.errors import AuthenticationFailed, NotFound, PermissionDenied
from omnirelay.relay.auth import bearer_token
from omnirelay.runtime import Runtime

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "Principal",
    "clear_session_cookie",
    "client_ip",
    "login_limiter",
    "platform_runtime",
    "session_of",
    "set_session_cookie",
    "signed_in",
]

SESSION_COOKIE = "omnirelay_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session: Session

    @property
    def account_id(self) -> int:
        return self.user.account_id

    @property
    def by_cookie(self) -> bool:
        return self.session.kind == "cookie"


def platform_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def login_limiter(request: Request) -> LoginLimiter:
    """This process's count of failed sign-ins (made on first use from ``console.*`` settings)."""
    state = request.app.state
    limiter: LoginLimiter | None = getattr(state, "login_limiter", None)
    if limiter is None:
        console = platform_runtime(request).settings.console
        limiter = LoginLimiter(console.login_failures_per_user, console.login_failures_per_ip, console.login_window_s)
        state.login_limiter = limiter
    return limiter


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def session_of(request: Request, *, cookie_only: bool = False) -> Session | None:
    """The live session the request carries (bearer token first, then the cookie), any stage.
    ``cookie_only``: the console's pages, which never read an ``Authorization`` header."""
    engine = platform_runtime(request).engine
    token = None if cookie_only else bearer_token(request.headers.get("authorization"))
    if token is not None:
        if not token.startswith(TOKEN_PREFIX):
            raise AuthenticationFailed(
                "The platform API takes a console session or a personal access token (orpat_...), not an API key.",
                code="not_signed_in",
            )
        session = await load_session(engine, token)
        return session if session is not None and session.kind == "token" else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    session = await load_session(engine, cookie)
    return session if session is not None and session.kind == "cookie" else None


async def signed_in(
    request: Request, *, stage: str = "full", csrf: str | None = None, cookie_only: bool = False
) -> Principal:
    """The signed-in user, or 401 ``not_signed_in``; 403 ``csrf_failed`` for a cookie-borne change
    without the session's token (``csrf``: the token a form carried, else the header is read)."""
    session = await session_of(request, cookie_only=cookie_only)
    if session is None or session.stage != stage:
        raise AuthenticationFailed("Sign in first.", code="not_signed_in")
    if session.kind == "cookie" and request.method not in _SAFE_METHODS:
        given = csrf if csrf is not None else request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(given.encode(), session.csrf_token.encode()):
            raise PermissionDenied("The CSRF token is missing or wrong; reload the page.", code="csrf_failed")
    try:
        user = await get_user(platform_runtime(request).engine, session.user_id)
    except NotFound as exc:
        raise AuthenticationFailed("Sign in first.", code="not_signed_in") from exc
    if not user.enabled:
        raise AuthenticationFailed("This user is disabled.", code="user_disabled")
    return Principal(user, session)


def set_session_cookie(response: Response, request: Request, secret: str, ttl_s: float) -> None:
    """HttpOnly, SameSite=Lax, and Secure when the request came over https."""
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(ttl_s),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
