"""Prices (every kind the gateway bills: per call, per token with per-kind rates, tiers and web-search
calls, free) and group multipliers, through ``admin/prices.py`` like the admin API and the CLI.

Amounts are typed in the display unit (``console.micro_units_per_unit``); tiers as the admin API's
JSON list, in micro-units."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.admin import prices as service
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.billing.price_extras import KIND_FIELDS
from omnirelay.console.admin.access import ADMIN_PATH, operator
from omnirelay.console.fields import micro_units
from omnirelay.console.guard import Viewer, error_text, guarded
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound

__all__ = ["AMOUNT_FIELDS", "delete", "prices_page", "set_multiplier", "set_price"]

_PATH = f"{ADMIN_PATH}/prices"
AMOUNT_FIELDS: tuple[str, ...] = (
    "per_call",
    "input_per_million",
    "output_per_million",
    *KIND_FIELDS.values(),
    "web_search_per_call",
)
"""The price's amounts, in the order the form shows them."""


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    engine = platform_runtime(request).engine
    context.setdefault("error", None)
    context.setdefault("values", {})
    return render(
        request,
        "admin/prices.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        prices=await service.list_prices(engine),
        multipliers=await service.list_multipliers(engine),
        amount_fields=AMOUNT_FIELDS,
        **context,
    )


def _tiers(text: str) -> list[Any] | None:
    if not text.strip():
        return None
    try:
        tiers = json.loads(text)
    except ValueError as exc:
        raise InvalidRequest(f"tiers must be a JSON list: {exc}.", param="tiers") from exc
    if not isinstance(tiers, list):
        raise InvalidRequest("tiers must be a JSON list of tiers.", param="tiers")
    return tiers


def _price_fields(form: dict[str, str], per_unit: int) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name in AMOUNT_FIELDS:
        amount = micro_units(form.get(name, ""), name, per_unit)
        if amount is not None:
            fields[name] = amount
    mode = form.get("mode", "").strip()
    if mode:
        fields["mode"] = mode
    tiers = _tiers(form.get("tiers", ""))
    if tiers is not None:
        fields["tiers"] = tiers
    return fields


@guarded
async def prices_page(request: Request) -> Response:
    return await _page(request, await operator(request))


@guarded
async def set_price(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    model = seen.form.get("model", "").strip()
    try:
        if not model:
            raise InvalidRequest("A price needs the model it prices.", param="model")
        fields = _price_fields(seen.form, runtime.settings.console.micro_units_per_unit)
        await service.set_price(runtime.engine, model, **fields)
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc), values=seen.form)
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)


@guarded
async def delete(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        await service.delete_price(runtime.engine, seen.form.get("model", ""))
    except NotFound as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)


@guarded
async def set_multiplier(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        group = seen.form.get("group", "").strip()
        await service.set_multiplier(runtime.engine, group, seen.form.get("multiplier", "").strip())
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc), values=seen.form)
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)
