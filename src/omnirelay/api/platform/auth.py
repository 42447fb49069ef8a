"""``/api/v1/auth/*``: sign in (session cookie or personal access token), second factor, sign out, sign up."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import json_response, parse_body
from omnirelay.api.platform.principal import (
    clear_session_cookie,
    platform_runtime,
    set_session_cookie,
    signed_in,
)
from omnirelay.api.platform.signing import SignedIn, finish_totp, sign_in, sign_out, start_session
from omnirelay.errors import InvalidRequest
from omnirelay.platform.signup import sign_up

__all__ = ["login", "logout", "signup", "totp"]

Text = Annotated[str, Field(min_length=1, max_length=1024)]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    login: Text
    """User name or email."""
    password: Text
    totp_code: Annotated[str, Field(max_length=16)] | None = None
    token: bool = False
    """True: answer a personal access token instead of setting the session cookie."""


class TotpCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(min_length=1, max_length=16)]


class Signup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Text
    password: Text
    email: Annotated[str, Field(max_length=254)] | None = None
    invite_code: Annotated[str, Field(max_length=200)] | None = None


def _json_only(request: Request) -> None:
    """The calls that set the session cookie take JSON alone: a page on another site can post a
    ``text/plain`` form that reads as JSON, but not an ``application/json`` one (no CORS here)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise InvalidRequest("Send the body as JSON (Content-Type: application/json).", code="json_required")


def _cookie_answer(request: Request, done: SignedIn, status_code: int = 200) -> Response:
    body = {"user": done.user.public(), "stage": done.session.stage, "csrf_token": done.session.csrf_token}
    response = json_response(body, status_code)
    set_session_cookie(response, request, done.secret, done.ttl_s)
    return response


async def login(request: Request) -> Response:
    _json_only(request)
    body = await parse_body(request, Login)
    done = await sign_in(request, body.login, body.password, body.totp_code, "token" if body.token else "cookie")
    if body.token:
        return json_response({"token": done.secret, "expires_at": done.session.expires_at, "user": done.user.public()})
    return _cookie_answer(request, done)


async def totp(request: Request) -> Response:
    _json_only(request)
    body = await parse_body(request, TotpCode)
    return _cookie_answer(request, await finish_totp(request, body.code))


async def logout(request: Request) -> Response:
    principal = await signed_in(request)
    await sign_out(request, principal.session)
    response = json_response({"signed_out": True})
    if principal.by_cookie:
        clear_session_cookie(response, request)
    return response


async def signup(request: Request) -> Response:
    _json_only(request)
    body = await parse_body(request, Signup)
    runtime = platform_runtime(request)
    user = await sign_up(
        runtime.engine,
        runtime.settings.console,
        username=body.username,
        password=body.password,
        email=body.email,
        invite_code=body.invite_code,
    )
    await runtime.changed()
    return _cookie_answer(request, await start_session(request, user, "cookie"), 201)
