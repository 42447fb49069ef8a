"""What every console handler does first: the locale, the signed-in user (or a redirect to the
sign-in page), the CSRF check of a form, and failures shown as pages instead of JSON."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.api.platform.principal import Principal, platform_runtime, signed_in
from omnirelay.console.i18n import Locale, locale_of
from omnirelay.console.render import render
from omnirelay.errors import AuthenticationFailed, OmniRelayError, PermissionDenied

__all__ = ["LOGIN_PATH", "Viewer", "error_text", "form_of", "guarded", "locale", "viewer"]

LOGIN_PATH = "/console/login"
_MAX_FIELDS = 40


@dataclass(frozen=True, slots=True)
class Viewer:
    principal: Principal
    locale: Locale
    form: dict[str, str]


class _SignInFirst(Exception):
    """Raised inside a guarded handler: answer with a redirect to the sign-in page."""


def locale(request: Request) -> Locale:
    return locale_of(request, platform_runtime(request).settings.console)


async def form_of(request: Request) -> dict[str, str]:
    """The form fields of a POST (text fields only; uploads are ignored)."""
    if request.method != "POST":
        return {}
    form = await request.form(max_files=0, max_fields=_MAX_FIELDS)
    return {k: v for k, v in form.items() if not isinstance(v, UploadFile)}


async def viewer(request: Request) -> Viewer:
    """The signed-in user with the locale and the form; a POST must carry the session's CSRF token."""
    form = await form_of(request)
    try:
        principal = await signed_in(request, csrf=form.get("csrf_token", ""), cookie_only=True)
    except AuthenticationFailed as exc:
        raise _SignInFirst from exc
    return Viewer(principal, locale(request), form)


def error_text(loc: Locale, exc: OmniRelayError) -> str:
    """The catalogue's sentence for the error's code when it has one, else the error's own message."""
    key = f"error.{exc.code}"
    text = loc.t(key)
    return exc.message if text == key else text


Handler = Callable[[Request], Awaitable[Response]]


def guarded(handler: Handler) -> Handler:
    """Not signed in: 303 to the sign-in page. A refused CSRF token (or any refusal): a 403 page."""

    @functools.wraps(handler)
    async def wrapper(request: Request) -> Response:
        try:
            return await handler(request)
        except _SignInFirst:
            return RedirectResponse(LOGIN_PATH, status_code=303)
        except PermissionDenied as exc:
            loc = locale(request)
            return render(request, "error.html", loc, status_code=403, message=error_text(loc, exc))

    return wrapper
