"""``/api/v1/me``: who is signed in, their account and balance; two-factor sign-in on and off."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.accounts.sessions import set_pending_totp
from omnirelay.accounts.totp import accepted_step, new_seed, provisioning_uri
from omnirelay.accounts.users import set_totp
from omnirelay.api.admin.common import json_response, parse_body
from omnirelay.api.platform.principal import client_ip, login_limiter, platform_runtime, signed_in
from omnirelay.errors import InvalidRequest
from omnirelay.platform.overview import account_overview
from omnirelay.platform.signin import check_totp

__all__ = ["me", "totp_confirm", "totp_disable", "totp_start"]


class TotpCode(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(min_length=1, max_length=16)]


async def me(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    overview = await account_overview(runtime.engine, runtime.ledger.balances, principal.account_id)
    body = {"user": principal.user.public(), **overview}
    if principal.by_cookie:
        body["csrf_token"] = principal.session.csrf_token
    return json_response(body)


async def totp_start(request: Request) -> Response:
    """A new seed for the user's authenticator, kept with the session until a code confirms it."""
    principal = await signed_in(request)
    seed = new_seed()
    runtime = platform_runtime(request)
    await set_pending_totp(runtime.engine, principal.session.id_hash, runtime.box.seal([seed]))
    uri = provisioning_uri(seed, principal.user.email or principal.user.username)
    return json_response({"secret": seed, "otpauth_uri": uri})


async def totp_confirm(request: Request) -> Response:
    principal = await signed_in(request)
    body = await parse_body(request, TotpCode)
    runtime = platform_runtime(request)
    sealed = principal.session.pending_totp
    step = accepted_step(runtime.box.open(sealed)[0], body.code, None) if sealed else None
    if sealed is None or step is None:
        raise InvalidRequest(
            "That code does not match the new secret; start again.", param="code", code="bad_totp_code"
        )
    await set_totp(runtime.engine, principal.user.id, sealed, step)
    await set_pending_totp(runtime.engine, principal.session.id_hash, None)
    return json_response({"totp_enabled": True})


async def totp_disable(request: Request) -> Response:
    """Turning the second factor off takes a current code."""
    principal = await signed_in(request)
    body = await parse_body(request, TotpCode)
    runtime = platform_runtime(request)
    if principal.user.totp_secret is not None:
        user, ip = principal.user, client_ip(request)
        await check_totp(runtime.engine, runtime.box, login_limiter(request), user, body.code, ip)
        await set_totp(runtime.engine, user.id, None)
    return json_response({"totp_enabled": False})
