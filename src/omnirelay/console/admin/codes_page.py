"""Redemption codes: make a batch (amount in the display unit, count, expiry), shown once; list; disable."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.admin import codes as service
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.admin.access import ADMIN_PATH, operator
from omnirelay.console.admin.forms import whole_or_none
from omnirelay.console.fields import day_ms, micro_units
from omnirelay.console.guard import Viewer, error_text, guarded
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT32_MAX, whole_number

__all__ = ["codes_page", "create", "disable"]

_PATH = f"{ADMIN_PATH}/codes"


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    batch = request.query_params.get("batch", "").strip()[:40] or None
    context.setdefault("error", None)
    context.setdefault("made", None)
    context.setdefault("values", {})
    return render(
        request,
        "admin/codes.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        codes=await service.list_codes(platform_runtime(request).engine, batch=batch, limit=100),
        batch=batch or "",
        **context,
    )


@guarded
async def codes_page(request: Request) -> Response:
    return await _page(request, await operator(request))


@guarded
async def create(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    form = seen.form
    try:
        amount = micro_units(form.get("amount", ""), "amount", runtime.settings.console.micro_units_per_unit)
        count = whole_or_none(form.get("count", ""), "count") or 1
        expires = form.get("expires_at", "").strip()
        expires_at = day_ms(expires, "expires_at", end_of_day=True) if expires else None
        batch, codes = await service.create_codes(runtime.engine, amount or 0, count, expires_at=expires_at)
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc), values=form)
    return await _page(request, seen, 201, made={"batch": batch, "codes": codes, "amount": amount})


@guarded
async def disable(request: Request) -> Response:
    seen = await operator(request)
    engine = platform_runtime(request).engine
    try:
        code_id = whole_number(str(request.path_params["code_id"]), "code_id", low=1, high=INT32_MAX)
        await service.disable_code(engine, code_id)
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return RedirectResponse(_PATH, status_code=303)
