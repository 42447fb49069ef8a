"""Channels: the list with each one's live breaker state, the add form (per type), enable/disable,
priority/weight/model map, and the test button (``admin/channel_test.py``, the admin API's test)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.admin import channels as service
from omnirelay.admin.channel_test import run_channel_test
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.admin.access import ADMIN_PATH, operator
from omnirelay.console.admin.channel_form import channel_fields, option_fields, tuning_fields
from omnirelay.console.guard import Viewer, error_text, guarded
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT32_MAX, whole_number
from omnirelay.providers.registry import CHANNEL_TYPES
from omnirelay.runtime import Runtime

__all__ = ["channels_page", "create", "disable", "enable", "test", "tune"]

_PATH = f"{ADMIN_PATH}/channels"


def _breaker(runtime: Runtime, channel_id: int) -> str:
    """``closed``, ``open`` or ``trial`` (open, letting one call through), as this process sees it."""
    if runtime.breakers.closed(channel_id):
        return "closed"
    return "trial" if runtime.breakers.wait_s(channel_id) == 0 else "open"


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    runtime = platform_runtime(request)
    rows = await service.list_channels(runtime.engine, runtime.box)
    for row in rows:
        row["breaker"] = _breaker(runtime, row["id"])
    context.setdefault("error", None)
    context.setdefault("result", None)
    context.setdefault("values", {})
    return render(
        request,
        "admin/channels.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        channels=rows,
        types=CHANNEL_TYPES,
        options=option_fields(),
        **context,
    )


def _channel_id(request: Request) -> int:
    return whole_number(str(request.path_params["channel_id"]), "channel_id", low=1, high=INT32_MAX)


@guarded
async def channels_page(request: Request) -> Response:
    return await _page(request, await operator(request))


@guarded
async def create(request: Request) -> Response:
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        await service.create_channel(runtime.engine, runtime.box, **channel_fields(seen.form))
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc), values=seen.form)
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)


async def _update(request: Request, seen: Viewer, fields: dict[str, Any]) -> Response:
    runtime = platform_runtime(request)
    try:
        await service.update_channel(runtime.engine, runtime.box, _channel_id(request), **fields)
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    await runtime.changed()
    return RedirectResponse(_PATH, status_code=303)


@guarded
async def enable(request: Request) -> Response:
    return await _update(request, await operator(request), {"enabled": True})


@guarded
async def disable(request: Request) -> Response:
    return await _update(request, await operator(request), {"enabled": False})


@guarded
async def tune(request: Request) -> Response:
    seen = await operator(request)
    try:
        fields = tuning_fields(seen.form)
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return await _update(request, seen, fields)


@guarded
async def test(request: Request) -> Response:
    """One real, unbilled call through the channel, as the admin API's test; the answer on the page."""
    seen = await operator(request)
    runtime = platform_runtime(request)
    try:
        channel_id = _channel_id(request)
        channel = runtime.catalog.snapshot.channels.get(channel_id)
        if channel is None:
            raise NotFound("No such channel.")
        model = seen.form.get("model", "").strip() or None
        answer = await run_channel_test(channel, runtime.providers, model=model)
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return await _page(request, seen, result={"channel": channel.name, "channel_id": channel_id, **answer})
