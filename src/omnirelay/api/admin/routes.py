"""The admin API's URL map.

Ids in paths are plain segments (no ``:int`` convertor, whose ``int()`` fails on 5,000 digits):
each handler reads them with ``int_param``, which bounds them and answers 400 naming the field.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from omnirelay.api.admin import accounts, channels, codes, keys, ledger, logs, prices, users, webhooks

__all__ = ["admin_routes"]

_P = "/api/admin"


def admin_routes() -> list[BaseRoute]:
    return [
        Route(f"{_P}/accounts", accounts.list_all, methods=["GET"]),
        Route(f"{_P}/accounts", accounts.create, methods=["POST"]),
        Route(f"{_P}/accounts/{{account_id}}", accounts.retrieve, methods=["GET"]),
        Route(f"{_P}/accounts/{{account_id}}/topups", accounts.top_up, methods=["POST"]),
        Route(f"{_P}/accounts/{{account_id}}/ledger", ledger.account_ledger, methods=["GET"]),
        Route(f"{_P}/keys", keys.list_all, methods=["GET"]),
        Route(f"{_P}/keys", keys.create, methods=["POST"]),
        Route(f"{_P}/keys/{{key_id}}", keys.retrieve, methods=["GET"]),
        Route(f"{_P}/keys/{{key_id}}", keys.update, methods=["PATCH"]),
        Route(f"{_P}/keys/{{key_id}}", keys.delete, methods=["DELETE"]),
        Route(f"{_P}/channels", channels.list_all, methods=["GET"]),
        Route(f"{_P}/channels", channels.create, methods=["POST"]),
        Route(f"{_P}/channels/{{channel_id}}", channels.retrieve, methods=["GET"]),
        Route(f"{_P}/channels/{{channel_id}}", channels.update, methods=["PATCH"]),
        Route(f"{_P}/channels/{{channel_id}}", channels.delete, methods=["DELETE"]),
        Route(f"{_P}/channels/{{channel_id}}/test", channels.test, methods=["POST"]),
        Route(f"{_P}/prices", prices.list_all, methods=["GET"]),
        Route(f"{_P}/prices/{{model:path}}", prices.put, methods=["PUT"]),
        Route(f"{_P}/prices/{{model:path}}", prices.delete, methods=["DELETE"]),
        Route(f"{_P}/group-multipliers", prices.list_multipliers, methods=["GET"]),
        Route(f"{_P}/group-multipliers/{{group}}", prices.put_multiplier, methods=["PUT"]),
        Route(f"{_P}/logs", logs.list_logs, methods=["GET"]),
        Route(f"{_P}/accounts/{{account_id}}/webhook", webhooks.get_hook, methods=["GET"]),
        Route(f"{_P}/accounts/{{account_id}}/webhook", webhooks.put_hook, methods=["PUT"]),
        Route(f"{_P}/accounts/{{account_id}}/webhook/rotate", webhooks.rotate_hook, methods=["POST"]),
        Route(f"{_P}/webhooks/deliveries", webhooks.deliveries, methods=["GET"]),
        Route(f"{_P}/webhooks/deliveries/{{delivery_id}}/redeliver", webhooks.redeliver, methods=["POST"]),
        Route(f"{_P}/users", users.list_all, methods=["GET"]),
        Route(f"{_P}/users", users.create, methods=["POST"]),
        Route(f"{_P}/users/{{user_id}}/password", users.reset_password, methods=["POST"]),
        Route(f"{_P}/invite-codes", users.invite, methods=["POST"]),
        Route(f"{_P}/redemption-codes", codes.create, methods=["POST"]),
        Route(f"{_P}/redemption-codes", codes.list_all, methods=["GET"]),
        Route(f"{_P}/redemption-codes/{{code_id}}/disable", codes.disable, methods=["POST"]),
    ]
