"""Sign-in (with the two-factor step), sign-up, sign-out and the language switch.

The sign-in and sign-up forms are posted before any session exists: they carry a token that must
equal the one in the ``omnirelay_precsrf`` cookie set with the form (double submit), so another
site cannot sign a visitor in to an account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.accounts.sessions import close_session
from omnirelay.api.platform.principal import (
    clear_session_cookie,
    platform_runtime,
    session_of,
    set_session_cookie,
)
from omnirelay.api.platform.signing import SignedIn, finish_totp, sign_in, sign_out, start_session
from omnirelay.console.guard import LOGIN_PATH, error_text, form_of, guarded, locale, viewer
from omnirelay.console.i18n import LANG_COOKIE, LANGUAGES
from omnirelay.console.render import render
from omnirelay.errors import AuthenticationFailed, InvalidRequest, PermissionDenied, RateLimited
from omnirelay.platform.signup import sign_up

__all__ = [
    "language",
    "login_form",
    "login_submit",
    "logout",
    "signup_form",
    "signup_submit",
    "totp_form",
    "totp_submit",
]

_PRE_CSRF = "omnirelay_precsrf"
_HOME = "/console"


def _form_page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    token = request.cookies.get(_PRE_CSRF) or secrets.token_urlsafe(24)
    signup = platform_runtime(request).settings.console.signup
    response = render(
        request, template, locale(request), csrf_token=token, status_code=status_code, signup=signup, **context
    )
    response.set_cookie(
        _PRE_CSRF, token, path="/console", httponly=True, samesite="lax", secure=request.url.scheme == "https"
    )
    return response


def _pre_csrf_ok(request: Request, form: dict[str, str]) -> bool:
    cookie = request.cookies.get(_PRE_CSRF, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), form.get("csrf_token", "").encode())


async def _signed_in_redirect(request: Request, done: SignedIn) -> Response:
    old = await session_of(request, cookie_only=True)
    if old is not None:  # the session the browser had before is ended, never reused
        await close_session(platform_runtime(request).engine, old.id_hash)
    target = "/console/login/totp" if done.session.stage == "totp" else _HOME
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, done.secret, done.ttl_s)
    return response


async def login_form(request: Request) -> Response:
    return _form_page(request, "login.html", error=None, login="")


async def login_submit(request: Request) -> Response:
    form = await form_of(request)
    if not _pre_csrf_ok(request, form):
        return _form_page(request, "login.html", 403, error=locale(request).t("error.csrf_failed"), login="")
    try:
        done = await sign_in(request, form.get("login", ""), form.get("password", ""), None, "cookie")
    except (AuthenticationFailed, RateLimited) as exc:
        status = exc.status_code
        return _form_page(
            request, "login.html", status, error=error_text(locale(request), exc), login=form.get("login", "")
        )
    return await _signed_in_redirect(request, done)


async def totp_form(request: Request) -> Response:
    pending = await session_of(request, cookie_only=True)
    if pending is None or pending.stage != "totp":
        return RedirectResponse(LOGIN_PATH, status_code=303)
    return render(request, "totp.html", locale(request), csrf_token=pending.csrf_token, error=None)


async def totp_submit(request: Request) -> Response:
    form = await form_of(request)
    pending = await session_of(request, cookie_only=True)
    try:
        done = await finish_totp(request, form.get("code", ""), csrf=form.get("csrf_token", ""))
    except (AuthenticationFailed, RateLimited, PermissionDenied) as exc:
        if pending is None or pending.stage != "totp":
            return RedirectResponse(LOGIN_PATH, status_code=303)
        loc = locale(request)
        return render(
            request,
            "totp.html",
            loc,
            csrf_token=pending.csrf_token,
            status_code=exc.status_code,
            error=error_text(loc, exc),
        )
    return await _signed_in_redirect(request, done)


async def signup_form(request: Request) -> Response:
    return _form_page(request, "signup.html", error=None, values={})


async def signup_submit(request: Request) -> Response:
    form = await form_of(request)
    values = {k: form.get(k, "") for k in ("username", "email", "invite_code")}
    if not _pre_csrf_ok(request, form):
        return _form_page(request, "signup.html", 403, error=locale(request).t("error.csrf_failed"), values=values)
    runtime = platform_runtime(request)
    try:
        user = await sign_up(
            runtime.engine,
            runtime.settings.console,
            username=values["username"],
            password=form.get("password", ""),
            email=values["email"] or None,
            invite_code=values["invite_code"] or None,
        )
    except (InvalidRequest, PermissionDenied) as exc:
        return _form_page(
            request, "signup.html", exc.status_code, error=error_text(locale(request), exc), values=values
        )
    await runtime.changed()
    return await _signed_in_redirect(request, await start_session(request, user, "cookie"))


@guarded
async def logout(request: Request) -> Response:
    seen = await viewer(request)
    await sign_out(request, seen.principal.session)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    clear_session_cookie(response, request)
    return response


async def language(request: Request) -> Response:
    """``/console/lang/{lang}?next=/console/keys``: keep the choice in a cookie and go back (same site only)."""
    lang = request.path_params["lang"]
    target = request.query_params.get("next", _HOME)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(("/console", "/pricing")) or "\\" in target:
        target = _HOME
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response
