"""Admin: batches of single-use redemption codes (top-up by code), their list and disabling."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import codes as service
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body, query_int
from omnirelay.billing.amounts import Amount
from omnirelay.integers import INT32_MAX, INT64_MAX

__all__ = ["create", "disable", "list_all"]


class CodeBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount
    count: Annotated[StrictInt, Field(ge=1, le=service.MAX_BATCH)] = 1
    expires_at: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None


async def create(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, CodeBatch)
    batch, codes = await service.create_codes(runtime.engine, body.amount, body.count, expires_at=body.expires_at)
    answer = {"batch": batch, "amount": body.amount, "expires_at": body.expires_at, "codes": codes}
    return json_response(answer, 201)


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    batch = (request.query_params.get("batch") or "").strip()[:40] or None
    limit = query_int(request, "limit", low=1, high=1000, default=100) or 100
    before = query_int(request, "before_id", low=1, high=INT32_MAX)
    rows = await service.list_codes(runtime.engine, batch=batch, before_id=before, limit=limit)
    return json_response({"data": rows, "next_before_id": rows[-1]["id"] if len(rows) == limit else None})


async def disable(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response(await service.disable_code(runtime.engine, int_param(request, "code_id")))
