"""Admin: API keys (the key itself is in the creation answer only)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import keys as service
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body, query_int
from omnirelay.billing.amounts import Amount
from omnirelay.integers import INT32_MAX, INT64_MAX, PositiveInt32, RowId

__all__ = ["create", "delete", "list_all", "retrieve", "update"]


class KeyScopes(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    models: list[str] | None = None
    ip_allowlist: list[str] | None = None
    expires_at: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None
    spend_cap: Amount | None = None
    rpm: PositiveInt32 | None = None
    """At least 1 (as ``tpm`` and ``max_concurrency``); null: no limit. To stop a key, disable it."""
    tpm: PositiveInt32 | None = None
    max_concurrency: PositiveInt32 | None = None
    enabled: bool | None = None


class KeyCreate(KeyScopes):
    account_id: RowId


def _given(body: BaseModel, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in body.model_dump(exclude_unset=True).items() if k not in skip}


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    account = query_int(request, "account_id", low=1, high=INT32_MAX)
    keys = await service.list_keys(runtime.engine, account)
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
