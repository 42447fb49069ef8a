"""Admin: channels, and the *test* action that sends one real request through a channel."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.admin import channels as service
from omnirelay.admin.channel_test import run_channel_test
from omnirelay.api.admin.common import admin_runtime, int_param, json_response, parse_body
from omnirelay.errors import NotFound

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
    last_resort: bool | None = None
    options: dict[str, Any] | None = None
    """Per-type switches (``channels/options.py``), e.g. ``{"responses": true}``; replaces the stored ones."""


class ChannelChanges(ChannelFields):
    add_models: list[str] | None = None
    remove_models: list[str] | None = None


class TestChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str | None = None
    endpoint: str | None = None


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
    body = await parse_body(request, ChannelChanges)
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


async def _test_choice(request: Request) -> TestChoice:
    query = TestChoice(model=request.query_params.get("model"), endpoint=request.query_params.get("endpoint"))
    if not await request.body():
        return query
    body = await parse_body(request, TestChoice)
    return TestChoice(model=body.model or query.model, endpoint=body.endpoint or query.endpoint)


async def test(request: Request) -> Response:
    """One cheap, unbilled call through the channel; ``model`` and ``endpoint`` from the query or
    a JSON body, else chosen for the channel's type (``admin/channel_test.py``)."""
    runtime = admin_runtime(request)
    channel = runtime.catalog.snapshot.channels.get(int_param(request, "channel_id"))
    if channel is None:
        raise NotFound("No such channel.")
    choice = await _test_choice(request)
    answer = await run_channel_test(channel, runtime.providers, model=choice.model, endpoint=choice.endpoint)
    return json_response(answer)
