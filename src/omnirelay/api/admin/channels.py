"""Admin: channels, and the *test* action that sends one real request through a channel."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import channels as service
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body
from omnirelay.errors import NotFound, UpstreamError
from omnirelay.providers.base import ChatProvider, UpstreamCall

__all__ = ["create", "delete", "list_all", "retrieve", "test", "update"]


class ChannelFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    type: str | None = None
    base_url: str | None = None
    secrets: list[str] | None = None
    models: list[str] | None = None
    model_map: dict[str, str] | None = None
    priority: int | None = None
    weight: int | None = None
    groups: list[str] | None = None
    timeout_s: float | None = None
    enabled: bool | None = None


def _given(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


async def list_all(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response({"data": await service.list_channels(runtime.engine, runtime.box)})


async def create(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, ChannelFields)
    channel = await service.create_channel(runtime.engine, runtime.box, **_given(body))
    await runtime.changed()
    return json_response(channel, 201)


async def retrieve(request: Request) -> Response:
    runtime = admin_runtime(request)
    return json_response(await service.get_channel(runtime.engine, runtime.box, int_param(request, "channel_id")))


async def update(request: Request) -> Response:
    runtime = admin_runtime(request)
    body = await parse_body(request, ChannelFields)
    channel = await service.update_channel(
        runtime.engine, runtime.box, int_param(request, "channel_id"), **_given(body)
    )
    await runtime.changed()
    return json_response(channel)


async def delete(request: Request) -> Response:
    runtime = admin_runtime(request)
    channel_id = int_param(request, "channel_id")
    await service.delete_channel(runtime.engine, channel_id)
    await runtime.changed()
    return json_response({"id": channel_id, "deleted": True})


async def test(request: Request) -> Response:
    """Send a one-token chat completion through the channel; report latency or the error."""
    runtime = admin_runtime(request)
    channel = runtime.catalog.snapshot.channels.get(int_param(request, "channel_id"))
    if channel is None:
        raise NotFound("No such channel.")
    model = request.query_params.get("model") or sorted(channel.models)[0]
    body = {
        "model": channel.upstream_model(model),
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 1,
    }
    call = UpstreamCall(base_url=channel.base_url, secret=channel.next_secret(), body=body, timeout_s=channel.timeout_s)
    started = time.perf_counter()
    try:
        await runtime.gate.provider_for(channel, ChatProvider).complete(call)
    except UpstreamError as exc:
        return json_response({"ok": False, "model": model, "status": exc.status_code, "error": exc.message})
    latency_ms = int((time.perf_counter() - started) * 1000)
    return json_response({"ok": True, "model": model, "latency_ms": latency_ms})
