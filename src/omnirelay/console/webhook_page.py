"""The webhook settings page: the default URL, the signing secret (reveal, rotate), a test event,
the latest deliveries with their attempts and a redeliver button."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from omnirelay.admin import webhooks as admin_hooks
from omnirelay.api.platform.principal import platform_runtime
from omnirelay.console.guard import Viewer, error_text, guarded, viewer
from omnirelay.console.render import render
from omnirelay.errors import InvalidRequest, NotFound
from omnirelay.integers import INT64_MAX, whole_number
from omnirelay.platform import webhooks as service

__all__ = ["redeliver", "rotate", "save_url", "send_test", "webhook_page"]

_PATH = "/console/webhook"
_SHOWN = 30


async def _page(request: Request, seen: Viewer, status_code: int = 200, **context: Any) -> Response:
    runtime = platform_runtime(request)
    account_id = seen.principal.account_id
    context.setdefault("error", None)
    context.setdefault("notice", None)
    return render(
        request,
        "webhook.html",
        seen.locale,
        principal=seen.principal,
        status_code=status_code,
        hook=await service.hook_of(runtime.engine, runtime.tasks, account_id),
        deliveries=await service.own_deliveries(runtime.tasks, account_id, _SHOWN),
        **context,
    )


@guarded
async def webhook_page(request: Request) -> Response:
    seen = await viewer(request)
    notice = request.query_params.get("done", "")
    return await _page(request, seen, notice=f"customer.webhook.done_{notice}" if notice.isalpha() else None)


def _done(what: str) -> Response:
    return RedirectResponse(f"{_PATH}?done={what}", status_code=303)


@guarded
async def save_url(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    url = seen.form.get("url", "").strip() or None
    try:
        await admin_hooks.set_url(
            runtime.engine,
            runtime.tasks.hooks,
            seen.principal.account_id,
            url,
            runtime.settings.webhooks.allow_networks,
        )
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return _done("saved")


@guarded
async def rotate(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    await admin_hooks.rotate_secret(runtime.engine, runtime.tasks.hooks, seen.principal.account_id)
    return _done("rotated")


@guarded
async def send_test(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    try:
        allowed = runtime.settings.webhooks.allow_networks
        await service.send_test(runtime.engine, runtime.tasks, seen.principal.account_id, allowed)
    except InvalidRequest as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return _done("sent")


@guarded
async def redeliver(request: Request) -> Response:
    seen = await viewer(request)
    runtime = platform_runtime(request)
    try:
        delivery_id = whole_number(str(request.path_params["delivery_id"]), "delivery_id", low=1, high=INT64_MAX)
        await service.redeliver_own(runtime.engine, runtime.tasks, seen.principal.account_id, delivery_id)
    except (InvalidRequest, NotFound) as exc:
        return await _page(request, seen, exc.status_code, error=error_text(seen.locale, exc))
    return _done("redelivered")
