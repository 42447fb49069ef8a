"""``GET /api/v1/pricing``: the public model and price list (no sign-in)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import json_response
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.platform.pricing import price_list

__all__ = ["pricing"]


async def pricing(request: Request) -> Response:
    runtime = platform_runtime(request)
    console = runtime.settings.console
    return json_response(
        {
            "data": price_list(runtime.catalog.snapshot),
            "micro_units_per_unit": console.micro_units_per_unit,
            "money_symbol": console.money_symbol,
        }
    )
