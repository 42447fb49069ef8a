"""Admin: prices per model and multipliers per account group."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import prices as service
from omnirelay.api.admin.common import admin_runtime, json_response, parse_body

__all__ = ["delete", "list_all", "list_multipliers", "put", "put_multiplier"]


class PriceBody(BaseModel):
    """Amounts are JSON integers (``true`` and ``"100"`` are refused); their bounds, the mode
    inferred when left out and the refusals are ``billing/price_rules.py``'s.

    Unknown fields are let through to ``checked_price``, which refuses them naming the nearest
    known field (a typo such as ``cache_reads_per_million`` must not leave a kind mispriced)."""

    model_config = ConfigDict(extra="allow")
    mode: Literal["per_call", "per_token", "free"] | None = None
    per_call: StrictInt | None = None
    input_per_million: StrictInt | None = None
    output_per_million: StrictInt | None = None
    cache_read_per_million: StrictInt | None = None
    cache_write_5m_per_million: StrictInt | None = None
    cache_write_1h_per_million: StrictInt | None = None
    reasoning_per_million: StrictInt | None = None
    audio_input_per_million: StrictInt | None = None
    audio_output_per_million: StrictInt | None = None
    image_input_per_million: StrictInt | None = None
    tiers: list[dict[str, object]] | None = None
    """``[{"above_prompt_tokens": N, "input_per_million": ..., "output_per_million": ..., ...}]``."""
    web_search_per_call: StrictInt | None = None


class MultiplierBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    multiplier: StrictStr
    """A decimal or fraction string, e.g. ``"0.8"``; bounded by ``billing/price_rules.py``."""


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
