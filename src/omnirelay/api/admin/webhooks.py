"""Admin: each account's webhook destination and signing secret; the delivery outbox and redelivery."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import webhooks as service
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body, query_int
from omnirelay.errors import NotFound
from omnirelay.integers import INT32_MAX, INT64_MAX

__all__ = ["deliveries", "get_hook", "put_hook", "redeliver", "rotate_hook"]


class HookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None


async def get_hook(request: Request) -> Response:
    runtime = admin_runtime(request)
    hook = await service.get_hook(runtime.engine, runtime.tasks.hooks, int_param(request, "account_id"))
    return json_response(service.hook_record(hook))


async def put_hook(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, HookBody)
    hook = await service.set_url(
        runtime.engine,
        runtime.tasks.hooks,
        int_param(request, "account_id"),
        body.url,
        runtime.settings.webhooks.allow_networks,
    )
    return json_response(service.hook_record(hook))


async def rotate_hook(request: Request) -> Response:
    runtime = admin_runtime(request)
    hook = await service.rotate_secret(runtime.engine, runtime.tasks.hooks, int_param(request, "account_id"))
    return json_response(service.hook_record(hook))


async def deliveries(request: Request) -> Response:
    runtime = admin_runtime(request)
    query = request.query_params
    rows = await runtime.tasks.deliveries.recent(
        task_id=query.get("task_id"),
        status=query.get("status"),
        account_id=query_int(request, "account_id", low=1, high=INT32_MAX),
        limit=min(query_int(request, "limit", low=1, default=100) or 100, 1000),
    )
    return json_response({"data": rows})


async def redeliver(request: Request) -> Response:
    runtime = admin_runtime(request)
    delivery_id = int_param(request, "delivery_id", high=INT64_MAX)
    if not await runtime.tasks.deliveries.redeliver(delivery_id):
        raise NotFound(f"No webhook delivery {delivery_id} exists.")
    runtime.tasks.deliverer.wake()
    return json_response({"id": delivery_id, "status": "pending"})
