"""Rendering a console page: the Jinja2 environment, what every template gets, the security headers."""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from omnirelay.api.platform.principal import Principal
from omnirelay.console.i18n import LANGUAGES, Locale

__all__ = ["SECURITY_HEADERS", "render"]

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
"""No inline script runs (htmx and our script are files), no framing, nothing cached."""


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("omnirelay.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    request: Request,
    template: str,
    locale: Locale,
    *,
    principal: Principal | None = None,
    csrf_token: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` with ``context`` and the common names: ``t``, ``money``, ``when``, ``number``, the
    language, the signed-in user (or None), the CSRF token for forms and the current path."""
    values = {
        "t": locale.t,
        "money": locale.money,
        "when": locale.when,
        "number": locale.number,
        "money_symbol": locale.money_symbol,
        "lang": locale.lang,
        "languages": LANGUAGES,
        "user": principal.user if principal else None,
        "csrf_token": principal.session.csrf_token if principal else csrf_token,
        "path": request.url.path,
        **context,
    }
    html = _environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
