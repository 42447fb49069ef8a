"""``/api/v1/keys``: the account's own API keys, with every scope the gateway has."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import int_param, json_response, parse_body
from omnirelay.api.admin.keys import KeyScopes
from omnirelay.api.platform.principal import platform_runtime, signed_in
from omnirelay.platform import keys as service

__all__ = ["create", "delete", "disable", "enable", "list_all"]


async def list_all(request: Request) -> Response:
    principal = await signed_in(request)
    return json_response({"data": await service.list_own_keys(platform_runtime(request).engine, principal.account_id)})


async def create(request: Request) -> Response:
    principal = await signed_in(request)
    body = await parse_body(request, KeyScopes)
    scopes: dict[str, Any] = body.model_dump(exclude_unset=True)
    runtime = platform_runtime(request)
    secret, record = await service.create_own_key(runtime.engine, principal.account_id, **scopes)
    await runtime.changed()
    return json_response({**record, "key": secret}, 201)


async def _set_enabled(request: Request, enabled: bool) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    record = await service.set_own_key_enabled(
        runtime.engine, principal.account_id, int_param(request, "key_id"), enabled
    )
    await runtime.changed()
    return json_response(record)


async def disable(request: Request) -> Response:
    return await _set_enabled(request, False)


async def enable(request: Request) -> Response:
    return await _set_enabled(request, True)


async def delete(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    key_id = int_param(request, "key_id")
    await service.delete_own_key(runtime.engine, principal.account_id, key_id)
    await runtime.changed()
    return json_response({"id": key_id, "deleted": True})
