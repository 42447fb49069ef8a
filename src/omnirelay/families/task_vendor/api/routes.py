"""Routes of the declarative task relay.

Routes are fixed when the app is created, before any vendor is known (vendors come from the
settings file and, live, from the admin API), so every vendor's submit path is served by one
catch-all, ``POST|PUT /v1/vendors/{path}``, which finds the vendor by method and path at request
time. The task API is shared by every vendor: ``GET /v1/tasks`` (the caller's, newest first),
``GET /v1/tasks/{id}``, ``POST /v1/tasks/{id}/cancel`` and the signed file links
``GET /v1/tasks/{id}/files/{field}``. Errors are OpenAI's ``{"error": {message, type, param, code}}``.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_json
from omnirelay.api.callers import base_url, identify
from omnirelay.api.relayed_media import MediaResponse, asked_range
from omnirelay.families.task_vendor.api import admin
from omnirelay.families.task_vendor.service import SubmitContext
from omnirelay.families.task_vendor.services import VendorServices
from omnirelay.integers import optional_whole_number
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["PREFIX", "vendor_routes"]

PREFIX = "/v1/vendors"


def services(runtime: Runtime) -> VendorServices:
    return runtime.tasks.service("task_vendor", VendorServices)


def _caller(request: Request) -> tuple[Runtime, Caller]:
    return identify(request, bearer_token(request.headers.get("authorization")))


def _json(body: object, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


async def submit(request: Request) -> Response:
    runtime, caller = _caller(request)
    path = "/" + request.path_params["path"]
    await services(runtime).submissions.vendor_at(request.method, path)  # 404 before reading the body
    body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
    ctx = SubmitContext(caller, base_url(request, runtime), request.method, path)
    return _json(await services(runtime).submissions.submit(body, ctx), 201)


async def get_task(request: Request) -> Response:
    runtime, caller = _caller(request)
    return _json(await services(runtime).queries.get(request.path_params["task_id"], caller))


async def list_tasks(request: Request) -> Response:
    runtime, caller = _caller(request)
    limit = optional_whole_number(request.query_params.get("limit"), "limit", low=1, high=100) or 20
    return _json(await services(runtime).queries.list(caller, request.query_params.get("cursor"), limit))


async def cancel_task(request: Request) -> Response:
    runtime, caller = _caller(request)
    return _json(await services(runtime).queries.cancel(request.path_params["task_id"], caller))


async def task_file(request: Request) -> MediaResponse:
    runtime: Runtime = request.app.state.runtime
    task_id, field = request.path_params["task_id"], request.path_params["field"]
    signature = request.query_params.get("sig", "")
    stream = await services(runtime).files.open(task_id, field, signature, byte_range=asked_range(request))
    return MediaResponse(stream, f"{task_id}-{field}")


def vendor_routes() -> list[BaseRoute]:
    return [
        Route(PREFIX + "/{path:path}", submit, methods=["POST", "PUT"]),
        Route("/v1/tasks", list_tasks, methods=["GET"]),
        Route("/v1/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/v1/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/v1/tasks/{task_id}/files/{field}", task_file, methods=["GET"]),
        *admin.admin_routes(),
    ]
