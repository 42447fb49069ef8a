"""``/api/v1/webhook``: the account's default webhook URL, signing secret, deliveries, test event."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import webhooks as admin_hooks
from omnirelay.api.admin.common import int_param, json_response, parse_body, query_int
from omnirelay.api.platform.principal import platform_runtime, signed_in
from omnirelay.integers import INT64_MAX
from omnirelay.platform import webhooks as service

__all__ = ["deliveries", "get_hook", "put_hook", "redeliver", "rotate", "send_test"]


class HookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None


async def get_hook(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    return json_response(await service.hook_of(runtime.engine, runtime.tasks, principal.account_id))


async def put_hook(request: Request) -> Response:
    principal = await signed_in(request)
    body = await parse_body(request, HookBody)
    runtime = platform_runtime(request)
    allowed = runtime.settings.webhooks.allow_networks
    await admin_hooks.set_url(runtime.engine, runtime.tasks.hooks, principal.account_id, body.url, allowed)
    return json_response(await service.hook_of(runtime.engine, runtime.tasks, principal.account_id))


async def rotate(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    await admin_hooks.rotate_secret(runtime.engine, runtime.tasks.hooks, principal.account_id)
    return json_response(await service.hook_of(runtime.engine, runtime.tasks, principal.account_id))


async def send_test(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    allowed = runtime.settings.webhooks.allow_networks
    return json_response(await service.send_test(runtime.engine, runtime.tasks, principal.account_id, allowed), 202)


async def deliveries(request: Request) -> Response:
    principal = await signed_in(request)
    limit = query_int(request, "limit", low=1, high=200, default=50) or 50
    rows = await service.own_deliveries(platform_runtime(request).tasks, principal.account_id, limit)
    return json_response({"data": rows})


async def redeliver(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    delivery_id = int_param(request, "delivery_id", high=INT64_MAX)
    await service.redeliver_own(runtime.engine, runtime.tasks, principal.account_id, delivery_id)
    return json_response({"id": delivery_id, "status": "pending"})
