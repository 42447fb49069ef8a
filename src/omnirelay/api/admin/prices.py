"""Admin: prices per model and multipliers per account group."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import prices as service
from omnirelay.api.admin.common import admin_runtime, json_response, parse_body

__all__ = ["delete", "list_all", "list_multipliers", "put", "put_multiplier"]


class PriceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["per_call", "per_token", "free"]
    per_call: int = 0
    input_per_million: int = 0
    output_per_million: int = 0


class MultiplierBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    multiplier: str


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response({"data": await service.list_prices(runtime.engine)})


async def put(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, PriceBody)
    price = await service.set_price(runtime.engine, request.path_params["model"], **body.model_dump())
    await runtime.changed()
    return json_response(price)


async def delete(request: Request) -> Response:
    runtime = admin_runtime(request)
    await service.delete_price(runtime.engine, request.path_params["model"])
    await runtime.changed()
    return json_response({"model": request.path_params["model"], "deleted": True})


async def list_multipliers(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response({"data": await service.list_multipliers(runtime.engine)})


async def put_multiplier(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, MultiplierBody)
    result = await service.set_multiplier(runtime.engine, request.path_params["group"], body.multiplier)
    await runtime.changed()
    return json_response(result)
