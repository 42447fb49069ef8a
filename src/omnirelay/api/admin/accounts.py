"""Admin: accounts and top-ups."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import accounts as service
from omnirelay.admin.topups import credit
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body
from omnirelay.billing.amounts import Amount, SignedAmount
from omnirelay.errors import StoreUnavailable

__all__ = ["create", "list_all", "retrieve", "top_up"]


class AccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    group: str = "default"
    balance: Amount = 0


class TopUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: SignedAmount
    reference: str | None = None


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    await runtime.writer.flush()
    return json_response({"data": await service.list_accounts(runtime.engine)})


async def create(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, AccountCreate)
    account = await service.create_account(runtime.engine, body.name, group=body.group, balance=body.balance)
    await runtime.changed()
    return json_response(account, 201)


async def retrieve(request: Request) -> Response:
    runtime = admin_runtime(request)
    await runtime.writer.flush()  # balances as of now, not as of the last batch
    account = await service.get_account(runtime.engine, int_param(request, "account_id"))
    try:
        account["available"], account["live"] = await runtime.ledger.balances.balance(account["id"]), True
    except StoreUnavailable:  # the live counters are away: the store's committed balance, flagged
        account["available"], account["live"] = account["balance"], False
    return json_response(account)


async def top_up(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, TopUp)
    await runtime.writer.flush()
    account_id = int_param(request, "account_id")
    done = await credit(
        runtime.engine,
        runtime.ledger.balances,
        account_id,
        body.amount,
        reference=body.reference,
        idempotency_key=request.headers.get("idempotency-key"),
    )
    response = json_response(done.body())
    if done.replayed:  # the first attempt's answer; nothing was credited this time
        response.headers["Idempotent-Replayed"] = "true"
    else:
        await runtime.changed()
    return response
