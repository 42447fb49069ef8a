"""Admin: each account's webhook destination and signing secret; the delivery outbox and redelivery."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body
from omnirelay.errors import NotFound
from omnirelay.webhooks.destinations import check_destination, parse_networks
from omnirelay.webhooks.hooks import AccountHook

__all__ = ["deliveries", "get_hook", "put_hook", "redeliver", "rotate_hook"]


class HookBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None


def _hook(hook: AccountHook) -> dict[str, object]:
    return {"account_id": hook.account_id, "url": hook.url, "secret": hook.secret}


async def get_hook(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response(_hook(await runtime.tasks.hooks.get(int_param(request, "account_id"))))


async def put_hook(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, HookBody)
    if body.url:
        await check_destination(body.url, parse_networks(runtime.settings.webhooks.allow_networks))
    hook = await runtime.tasks.hooks.set_url(int_param(request, "account_id"), body.url)
    return json_response(_hook(hook))


async def rotate_hook(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response(_hook(await runtime.tasks.hooks.rotate(int_param(request, "account_id"))))


async def deliveries(request: Request) -> Response:
    runtime = admin_runtime(request)
    query = request.query_params
    account = query.get("account_id")
    rows = await runtime.tasks.deliveries.recent(
        task_id=query.get("task_id"),
        status=query.get("status"),
        account_id=int(account) if account and account.isdigit() else None,
        limit=min(int(query.get("limit", "100") or 100), 1000),
    )
    return json_response({"data": rows})


async def redeliver(request: Request) -> Response:
    runtime = admin_runtime(request)
    delivery_id = int_param(request, "delivery_id")
    if not await runtime.tasks.deliveries.redeliver(delivery_id):
        raise NotFound(f"No webhook delivery {delivery_id} exists.")
    runtime.tasks.deliverer.wake()
    return json_response({"id": delivery_id, "status": "pending"})
