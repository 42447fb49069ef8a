"""Admin: API keys (the key itself is in the creation answer only)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import keys as service
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body

__all__ = ["create", "delete", "list_all", "retrieve", "update"]


class KeyScopes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    models: list[str] | None = None
    ip_allowlist: list[str] | None = None
    expires_at: int | None = None
    spend_cap: int | None = None
    rpm: int | None = None
    tpm: int | None = None
    max_concurrency: int | None = None
    enabled: bool | None = None


class KeyCreate(KeyScopes):
    account_id: int


def _given(body: BaseModel, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if k not in skip}


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    account = request.query_params.get("account_id")
    keys = await service.list_keys(runtime.engine, int(account) if account and account.isdigit() else None)
    return json_response({"data": keys})


async def create(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, KeyCreate)
    secret, record = await service.create_key(runtime.engine, body.account_id, **_given(body, skip=("account_id",)))
    await runtime.changed()
    return json_response({**record, "key": secret}, 201)


async def retrieve(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response(await service.get_key(runtime.engine, int_param(request, "key_id")))


async def update(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, KeyScopes)
    record = await service.update_key(runtime.engine, int_param(request, "key_id"), **_given(body))
    await runtime.changed()
    return json_response(record)


async def delete(request: Request) -> Response:
    runtime = admin_runtime(request)
    await service.delete_key(runtime.engine, int_param(request, "key_id"))
    await runtime.changed()
    return json_response({"id": int_param(request, "key_id"), "deleted": True})
