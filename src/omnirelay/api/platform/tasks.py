"""``/api/v1/tasks``: the account's tasks of every family; Midjourney's buttons pressed."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.admin.common import json_response, parse_body, query_int
from omnirelay.api.platform.principal import platform_runtime, signed_in
from omnirelay.api.public_base import public_base
from omnirelay.platform import tasks as service

__all__ = ["list_tasks", "press", "retrieve"]


class ButtonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    custom_id: Annotated[str, Field(min_length=1, max_length=400)]


async def list_tasks(request: Request) -> Response:
    principal = await signed_in(request)
    limit = query_int(request, "limit", low=1, high=service.MAX_PAGE, default=20) or 20
    before = service.parse_cursor(request.query_params.get("before"))
    family = (request.query_params.get("family") or "").strip()[:20] or None
    runtime = platform_runtime(request)
    page = await service.account_tasks(runtime, principal.account_id, before=before, limit=limit, family=family)
    return json_response(page)


async def retrieve(request: Request) -> Response:
    principal = await signed_in(request)
    runtime = platform_runtime(request)
    record = await service.account_task(runtime, principal.account_id, str(request.path_params["task_id"]))
    return json_response(service.task_view(runtime, record))


async def press(request: Request) -> Response:
    principal = await signed_in(request)
    body = await parse_body(request, ButtonBody)
    runtime = platform_runtime(request)
    base = public_base(request, runtime.settings.server)
    answer = await service.press_button(
        runtime, principal.account_id, str(request.path_params["task_id"]), body.custom_id, base
    )
    return json_response(answer, 201)
