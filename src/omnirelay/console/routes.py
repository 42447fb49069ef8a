"""The console's URL map (``/console``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from omnirelay.console import (
    auth_pages,
    keys_page,
    pages,
    pricing_page,
    security_page,
    tasks_page,
    topup_page,
    webhook_page,
)
from omnirelay.console.admin.routes import admin_console_routes
from omnirelay.console.static import static_file

__all__ = ["console_routes"]

_C = "/console"


async def _root(request: Request) -> Response:
    return RedirectResponse(_C, status_code=303)


def console_routes() -> list[BaseRoute]:
    return [
        Route(_C, pages.home, methods=["GET"]),
        Route(f"{_C}/", _root, methods=["GET"]),
        Route(f"{_C}/login", auth_pages.login_form, methods=["GET"]),
        Route(f"{_C}/login", auth_pages.login_submit, methods=["POST"]),
        Route(f"{_C}/login/totp", auth_pages.totp_form, methods=["GET"]),
        Route(f"{_C}/login/totp", auth_pages.totp_submit, methods=["POST"]),
        Route(f"{_C}/signup", auth_pages.signup_form, methods=["GET"]),
        Route(f"{_C}/signup", auth_pages.signup_submit, methods=["POST"]),
        Route(f"{_C}/logout", auth_pages.logout, methods=["POST"]),
        Route(f"{_C}/lang/{{lang}}", auth_pages.language, methods=["GET"]),
        Route(f"{_C}/keys", keys_page.keys_page, methods=["GET"]),
        Route(f"{_C}/keys", keys_page.create, methods=["POST"]),
        Route(f"{_C}/keys/{{key_id}}/disable", keys_page.disable, methods=["POST"]),
        Route(f"{_C}/keys/{{key_id}}/enable", keys_page.enable, methods=["POST"]),
        Route(f"{_C}/keys/{{key_id}}/delete", keys_page.delete, methods=["POST"]),
        Route(f"{_C}/logs", pages.logs, methods=["GET"]),
        Route(f"{_C}/security", security_page.security_page, methods=["GET"]),
        Route(f"{_C}/security/totp", security_page.totp_start, methods=["POST"]),
        Route(f"{_C}/security/totp/confirm", security_page.totp_confirm, methods=["POST"]),
        Route(f"{_C}/security/totp/disable", security_page.totp_disable, methods=["POST"]),
        Route(f"{_C}/static/{{name}}", static_file, methods=["GET"]),
        *admin_console_routes(),
        *_customer_routes(),
    ]


def _customer_routes() -> list[BaseRoute]:
    """Top-up by code, webhook settings, tasks, and the public price list."""
    return [
        Route(f"{_C}/topup", topup_page.topup_page, methods=["GET"]),
        Route(f"{_C}/topup", topup_page.redeem_submit, methods=["POST"]),
        Route(f"{_C}/webhook", webhook_page.webhook_page, methods=["GET"]),
        Route(f"{_C}/webhook", webhook_page.save_url, methods=["POST"]),
        Route(f"{_C}/webhook/rotate", webhook_page.rotate, methods=["POST"]),
        Route(f"{_C}/webhook/test", webhook_page.send_test, methods=["POST"]),
        Route(f"{_C}/webhook/deliveries/{{delivery_id}}/redeliver", webhook_page.redeliver, methods=["POST"]),
        Route(f"{_C}/tasks", tasks_page.tasks_page, methods=["GET"]),
        Route(f"{_C}/tasks/rows", tasks_page.rows, methods=["GET"]),
        Route(f"{_C}/tasks/{{task_id}}/buttons", tasks_page.press, methods=["POST"]),
        Route("/pricing", pricing_page.pricing_page, methods=["GET"]),
    ]
