"""``/pricing``: the public model and price list, no sign-in (a signed-in visitor keeps the menu)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.platform.principal import Principal, platform_runtime, signed_in
from omnirelay.console.guard import locale
from omnirelay.console.render import render
from omnirelay.errors import AuthenticationFailed
from omnirelay.platform.pricing import price_list

__all__ = ["pricing_page"]


async def _visitor(request: Request) -> Principal | None:
    try:
        return await signed_in(request, cookie_only=True)
    except AuthenticationFailed:
        return None


async def pricing_page(request: Request) -> Response:
    prices = price_list(platform_runtime(request).catalog.snapshot)
    return render(request, "pricing.html", locale(request), principal=await _visitor(request), prices=prices)
