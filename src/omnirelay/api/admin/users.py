"""Admin: console users of accounts (create, list, password reset) and sign-up invite codes."""

from __future__ import annotations

import secrets
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.accounts import users as service
from omnirelay.accounts.invites import create_invites
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body, query_int
from omnirelay.integers import INT32_MAX, INT64_MAX, RowId

__all__ = ["create", "invite", "list_all", "reset_password"]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: RowId
    username: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(max_length=1024)] | None = None
    """Unset: a random one is made and answered once."""
    email: Annotated[str, Field(max_length=254)] | None = None
    operator: bool = False
    """Also reaches the operator console (``/console/admin``)."""


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Annotated[str, Field(max_length=1024)] | None = None


class InviteBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    count: Annotated[StrictInt, Field(ge=1, le=1000)] = 1
    expires_at: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None


def new_password() -> str:
    """A random password for an operator to hand over (20 URL-safe characters, ~120 bits)."""
    return secrets.token_urlsafe(15)


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    account = query_int(request, "account_id", low=1, high=INT32_MAX)
    return json_response({"data": [u.public() for u in await service.list_users(runtime.engine, account)]})


async def create(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, UserCreate)
    password = body.password or new_password()
    user = await service.create_user(
        runtime.engine, body.account_id, body.username, password, email=body.email, operator=body.operator
    )
    answer = user.public()
    if body.password is None:
        answer["password"] = password
    return json_response(answer, 201)


async def reset_password(request: Request) -> Response:
    """A new password (given, or made and answered once); the user's sessions and tokens end."""
    runtime = admin_runtime(request)
    body = await parse_body(request, PasswordReset)
    user_id = int_param(request, "user_id")
    password = body.password or new_password()
    await service.set_password(runtime.engine, user_id, password)
    answer = (await service.get_user(runtime.engine, user_id)).public()
    if body.password is None:
        answer["password"] = password
    return json_response(answer)


async def invite(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, InviteBatch)
    codes = await create_invites(runtime.engine, body.count, expires_at=body.expires_at)
    return json_response({"codes": codes}, 201)
