"""The operator console's URL map (``/console/admin``)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from omnirelay.console.admin import (
    accounts_page,
    channels_page,
    codes_page,
    dashboard,
    prices_page,
    records_page,
    settings_page,
)
from omnirelay.console.admin.access import ADMIN_PATH

__all__ = ["admin_console_routes"]

_A = ADMIN_PATH


def admin_console_routes() -> list[BaseRoute]:
    return [
        Route(_A, dashboard.dashboard, methods=["GET"]),
        Route(f"{_A}/accounts", accounts_page.accounts_page, methods=["GET"]),
        Route(f"{_A}/accounts", accounts_page.create, methods=["POST"]),
        Route(f"{_A}/accounts/{{account_id}}/topup", accounts_page.top_up, methods=["POST"]),
        Route(f"{_A}/accounts/{{account_id}}/group", accounts_page.set_group, methods=["POST"]),
        Route(f"{_A}/accounts/{{account_id}}/keys", accounts_page.account_keys, methods=["GET"]),
        Route(f"{_A}/accounts/{{account_id}}/keys/{{key_id}}/enable", accounts_page.enable_key, methods=["POST"]),
        Route(f"{_A}/accounts/{{account_id}}/keys/{{key_id}}/disable", accounts_page.disable_key, methods=["POST"]),
        Route(f"{_A}/channels", channels_page.channels_page, methods=["GET"]),
        Route(f"{_A}/channels", channels_page.create, methods=["POST"]),
        Route(f"{_A}/channels/{{channel_id}}/test", channels_page.test, methods=["POST"]),
        Route(f"{_A}/channels/{{channel_id}}/tune", channels_page.tune, methods=["POST"]),
        Route(f"{_A}/channels/{{channel_id}}/enable", channels_page.enable, methods=["POST"]),
        Route(f"{_A}/channels/{{channel_id}}/disable", channels_page.disable, methods=["POST"]),
        Route(f"{_A}/prices", prices_page.prices_page, methods=["GET"]),
        Route(f"{_A}/prices", prices_page.set_price, methods=["POST"]),
        Route(f"{_A}/prices/delete", prices_page.delete, methods=["POST"]),
        Route(f"{_A}/multipliers", prices_page.set_multiplier, methods=["POST"]),
        Route(f"{_A}/codes", codes_page.codes_page, methods=["GET"]),
        Route(f"{_A}/codes", codes_page.create, methods=["POST"]),
        Route(f"{_A}/codes/{{code_id}}/disable", codes_page.disable, methods=["POST"]),
        Route(f"{_A}/logs", records_page.logs, methods=["GET"]),
        Route(f"{_A}/tasks", records_page.tasks_page, methods=["GET"]),
        Route(f"{_A}/deliveries", records_page.deliveries, methods=["GET"]),
        Route(f"{_A}/deliveries/{{delivery_id}}/redeliver", records_page.redeliver, methods=["POST"]),
        Route(f"{_A}/settings", settings_page.settings_page, methods=["GET"]),
    ]
