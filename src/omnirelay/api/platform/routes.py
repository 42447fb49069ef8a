"""The platform API's URL map (``/api/v1/``)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from omnirelay.api.platform import auth, keys, logs, me, pricing, redeem, tasks, webhook

__all__ = ["platform_routes"]

_P = "/api/v1"


def platform_routes() -> list[BaseRoute]:
    return [
        Route(f"{_P}/auth/login", auth.login, methods=["POST"]),
        Route(f"{_P}/auth/totp", auth.totp, methods=["POST"]),
        Route(f"{_P}/auth/logout", auth.logout, methods=["POST"]),
        Route(f"{_P}/auth/signup", auth.signup, methods=["POST"]),
        Route(f"{_P}/me", me.me, methods=["GET"]),
        Route(f"{_P}/me/totp", me.totp_start, methods=["POST"]),
        Route(f"{_P}/me/totp/disable", me.totp_disable, methods=["POST"]),
        Route(f"{_P}/me/totp/confirm", me.totp_confirm, methods=["POST"]),
        Route(f"{_P}/keys", keys.list_all, methods=["GET"]),
        Route(f"{_P}/keys", keys.create, methods=["POST"]),
        Route(f"{_P}/keys/{{key_id}}/disable", keys.disable, methods=["POST"]),
        Route(f"{_P}/keys/{{key_id}}/enable", keys.enable, methods=["POST"]),
        Route(f"{_P}/keys/{{key_id}}", keys.delete, methods=["DELETE"]),
        Route(f"{_P}/logs", logs.list_logs, methods=["GET"]),
        Route(f"{_P}/logs/export", logs.export_csv, methods=["GET"]),
        *_customer_routes(),
    ]


def _customer_routes() -> list[BaseRoute]:
    """Redemption, webhook settings, tasks and the public price list (``docs/api-platform.md``)."""
    return [
        Route(f"{_P}/redeem", redeem.redeem_code, methods=["POST"]),
        Route(f"{_P}/redemptions", redeem.redemptions, methods=["GET"]),
        Route(f"{_P}/webhook", webhook.get_hook, methods=["GET"]),
        Route(f"{_P}/webhook", webhook.put_hook, methods=["PUT"]),
        Route(f"{_P}/webhook/rotate", webhook.rotate, methods=["POST"]),
        Route(f"{_P}/webhook/test", webhook.send_test, methods=["POST"]),
        Route(f"{_P}/webhook/deliveries", webhook.deliveries, methods=["GET"]),
        Route(f"{_P}/webhook/deliveries/{{delivery_id}}/redeliver", webhook.redeliver, methods=["POST"]),
        Route(f"{_P}/tasks", tasks.list_tasks, methods=["GET"]),
        Route(f"{_P}/tasks/{{task_id}}", tasks.retrieve, methods=["GET"]),
        Route(f"{_P}/tasks/{{task_id}}/buttons", tasks.press, methods=["POST"]),
        Route(f"{_P}/pricing", pricing.pricing, methods=["GET"]),
    ]
