"""The security page: turning two-factor sign-in (TOTP) on, with a code from the new secret, and off."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.accounts.sessions import set_pending_totp
from omnirelay.accounts.totp import accepted_step, new_seed, provisioning_uri
from omnirelay.accounts.users import set_totp
from omnirelay.api.platform.principal import client_ip, login_limiter, platform_runtime
from omnirelay.console.guard import Viewer, error_text, guarded, viewer
from omnirelay.console.render import render
from omnirelay.errors import AuthenticationFailed, RateLimited
from omnirelay.platform.signin import check_totp

__all__ = ["security_page", "totp_confirm", "totp_disable", "totp_start"]

_PATH = "/console/security"


def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("enrolment", None)
    context.setdefault("error", None)
    return render(request, "security.html", seen.locale, principal=seen.principal, status_code=status_code, **context)


@guarded
async def security_page(request: Request) -> Response:
    return _page(request, await viewer(request))


@guarded
async def totp_start(request: Request) -> Response:
    """A new secret, kept (sealed) with the session until a code from it confirms it."""
    seen = await viewer(request)
    runtime = platform_runtime(request)
    seed = new_seed()
    await set_pending_totp(runtime.engine, seen.principal.session.id_hash, runtime.box.seal([seed]))
    user = seen.principal.user
    enrolment = {"secret": seed, "uri": provisioning_uri(seed, user.email or user.username)}
    return _page(request, seen, enrolment=enrolment)


@guarded
async def totp_confirm(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    sealed = seen.principal.session.pending_totp
    seed = runtime.box.open(sealed)[0] if sealed else None
    step = accepted_step(seed, seen.form.get("code", ""), None) if seed else None
    if sealed is None or seed is None or step is None:
        error = seen.locale.t("error.bad_totp_code")
        enrolment = {"secret": seed, "uri": provisioning_uri(seed, seen.principal.user.username)} if seed else None
        return _page(request, seen, 400, error=error, enrolment=enrolment)
    await set_totp(runtime.engine, seen.principal.user.id, sealed, step)
    await set_pending_totp(runtime.engine, seen.principal.session.id_hash, None)
    return RedirectResponse(_PATH, status_code=303)


@guarded
async def totp_disable(request: Request) -> Response:
    """Turning it off takes a current code (wrong codes count as failed sign-ins)."""
    seen = await viewer(request)
    runtime, user = platform_runtime(request), seen.principal.user
    if user.totp_secret is not None:
        try:
            code = seen.form.get("code", "")
            await check_totp(runtime.engine, runtime.box, login_limiter(request), user, code, client_ip(request))
        except (AuthenticationFailed, RateLimited) as exc:
            return _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
        await set_totp(runtime.engine, user.id, None)
    return RedirectResponse(_PATH, status_code=303)
