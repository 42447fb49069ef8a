"""Routes of the Midjourney family. Both ``Authorization`` (Bearer or raw) and ``mj-api-secret`` carry the key."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from omnirelay.api.body import read_body, read_json
from omnirelay.errors import OmniRelayError
from omnirelay.families.midjourney.api import media, tasks
from omnirelay.families.midjourney.api.context import base_url, caller_of, services
from omnirelay.families.midjourney.api.errors import envelope_response, error_response
from omnirelay.families.midjourney.queries import task_ids
from omnirelay.families.midjourney.service import SubmitContext
from omnirelay.families.midjourney.submissions import ENDPOINTS
from omnirelay.runtime import Runtime

__all__ = ["midjourney_routes"]

_MODES = {"": None, "/mj-fast": "fast", "/mj-relax": "relax", "/mj-turbo": "turbo"}
_FOLLOW_UPS = frozenset({"action", "modal", "video"})
"""A missing parent task is a 404 on these (trueai); elsewhere the envelope comes with 200."""


def _submit(endpoint: str, mode: str | None) -> Any:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = caller_of(request)
            body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
            ctx = SubmitContext(caller, mode, base_url(request, runtime))
            return envelope_response(await services(runtime).submissions.submit(endpoint, body, ctx))
        except OmniRelayError as exc:
            return error_response(exc, submit=True, not_found_status=404 if endpoint in _FOLLOW_UPS else 200)

    return handler


async def fetch(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        return envelope_response(await services(runtime).queries.fetch(request.path_params["task_id"], caller))
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def list_by_condition(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
        return envelope_response(await services(runtime).queries.list(task_ids(body), caller))
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def image_seed(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        seed = await services(runtime).queries.image_seed(request.path_params["task_id"], caller)
        return envelope_response(seed)
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def callback(request: Request) -> Response:
    """An upstream's progress report for one task (its URL carries the task's own token): polled, not applied."""
    runtime: Runtime = request.app.state.runtime
    try:
        body = await read_body(request, runtime.settings.server.max_body_bytes)
        params = request.path_params
        await services(runtime).queries.callback(params["task_id"], params["token"], body)
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    return Response(status_code=204)


def _family_routes(mode: str | None) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route(
            "/insight-face/swap" if endpoint == "swap" else f"/submit/{endpoint}",
            _submit(endpoint, mode),
            methods=["POST"],
        )
        for endpoint in ENDPOINTS
    ]
    return [
        *routes,
        Route("/task/{task_id}/fetch", fetch, methods=["GET"]),
        Route("/task/list-by-condition", list_by_condition, methods=["POST"]),
        Route("/task/list-by-ids", list_by_condition, methods=["POST"]),
        Route("/task/{task_id}/image-seed", image_seed, methods=["GET"]),
        Route("/task/list", tasks.list_recent, methods=["GET"]),
        Route("/task/queue", tasks.queue, methods=["GET"]),
        Route("/task/{task_id}/cancel", tasks.cancel, methods=["POST"]),
    ]


def midjourney_routes() -> list[BaseRoute]:
    """Mounted per prefix, so other families' requests skip all of these with one check."""
    return [
        Route("/mj/image/{task_id}", media.image, methods=["GET"]),
        Route("/mj/video/{task_id}", media.video, methods=["GET"]),
        Route("/mj/video/{task_id}/{n}", media.video, methods=["GET"]),
        Route("/mj/video/{task_id}/{n}/thumbnail", media.video, methods=["GET"]),
        Route("/mj/callback/{task_id}/{token}", callback, methods=["POST"]),
        *[Mount(f"{prefix}/mj", routes=_family_routes(mode)) for prefix, mode in _MODES.items()],
    ]
