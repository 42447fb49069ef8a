"""``/api/v1/redeem``: top up the account with a redemption code; ``/api/v1/redemptions``: those redeemed."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import json_response, parse_body
from omnirelay.api.platform.principal import platform_runtime, signed_in
from omnirelay.platform.redeem import own_redemptions, redeem

__all__ = ["redeem_code", "redemptions"]


class RedeemBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Annotated[str, Field(min_length=1, max_length=100)]


async def redeem_code(request: Request) -> Response:
    principal = await signed_in(request)
    body = await parse_body(request, RedeemBody)
    runtime = platform_runtime(request)
    return json_response(await redeem(runtime.engine, runtime.ledger.balances, principal.account_id, body.code))


async def redemptions(request: Request) -> Response:
    principal = await signed_in(request)
    return json_response({"data": await own_redemptions(platform_runtime(request).engine, principal.account_id)})
