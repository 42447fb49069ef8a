"""Routes of the Midjourney family. Both ``Authorization`` (Bearer or raw) and ``mj-api-secret`` carry the key."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from omnirelay.api.body import read_body, read_json
from omnirelay.api.midjourney.errors import envelope_response, error_response
from omnirelay.errors import OmniRelayError
from omnirelay.midjourney.queries import task_ids
from omnirelay.midjourney.service import SubmitContext
from omnirelay.midjourney.submissions import ENDPOINTS
from omnirelay.relay.auth import Caller, authenticate
from omnirelay.runtime import Runtime

__all__ = ["midjourney_routes"]

_MODES = {"": None, "/mj-fast": "fast", "/mj-relax": "relax", "/mj-turbo": "turbo"}
_FOLLOW_UPS = frozenset({"action", "modal"})


def _token(request: Request) -> str | None:
    secret = request.headers.get("mj-api-secret")
    if secret:
        return secret.strip()
    authorization = (request.headers.get("authorization") or "").strip()
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return authorization if authorization.startswith("sk-") else None


def _caller(request: Request) -> tuple[Runtime, Caller]:
    runtime: Runtime = request.app.state.runtime
    client = request.client.host if request.client else None
    return runtime, authenticate(runtime.catalog.snapshot, _token(request), client)


def _base_url(request: Request, runtime: Runtime) -> str:
    """``server.public_url``, else this request's scheme and Host (cheaper than ``request.base_url``)."""
    if runtime.settings.server.public_url:
        return runtime.settings.server.public_url.rstrip("/")
    host = request.headers.get("host")
    if not host:
        return str(request.base_url).rstrip("/")
    # not root_path: inside a Mount it holds the mount's prefix (behind a path prefix, set public_url)
    return f"{request.scope.get('scheme', 'http')}://{host}"


def _submit(endpoint: str, mode: str | None) -> Any:
    async def handler(request: Request) -> Response:
        try:
            runtime, caller = _caller(request)
            body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
            ctx = SubmitContext(caller, mode, _base_url(request, runtime))
            return envelope_response(await runtime.tasks.midjourney.submit(endpoint, body, ctx))
        except OmniRelayError as exc:
            return error_response(exc, submit=True, not_found_status=404 if endpoint in _FOLLOW_UPS else 200)

    return handler


async def fetch(request: Request) -> Response:
    try:
        runtime, caller = _caller(request)
        return envelope_response(await runtime.tasks.midjourney_queries.fetch(request.path_params["task_id"], caller))
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def list_by_condition(request: Request) -> Response:
    try:
        runtime, caller = _caller(request)
        body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
        return envelope_response(await runtime.tasks.midjourney_queries.list(task_ids(body), caller))
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def image_seed(request: Request) -> Response:
    try:
        runtime, caller = _caller(request)
        seed = await runtime.tasks.midjourney_queries.image_seed(request.path_params["task_id"], caller)
        return envelope_response(seed)
    except OmniRelayError as exc:
        return error_response(exc, submit=False)


async def image(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        data, content_type = await runtime.tasks.midjourney_queries.image(
            request.path_params["task_id"], request.query_params.get("sig", "")
        )
    except OmniRelayError as exc:
        return error_response(exc, submit=False)
    return Response(data, media_type=content_type, headers={"Cache-Control": "private, max-age=86400"})


async def callback(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        body = await read_body(request, runtime.settings.server.max_body_bytes)
        await runtime.tasks.midjourney_queries.callback(
            int(request.path_params["channel_id"]), request.path_params["token"], body
        )
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
    ]


def midjourney_routes() -> list[BaseRoute]:
    """Mounted per prefix, so other families' requests skip all of these with one check."""
    return [
        Route("/mj/image/{task_id}", image, methods=["GET"]),
        Route("/mj/callback/{channel_id:int}/{token}", callback, methods=["POST"]),
        *[Mount(f"{prefix}/mj", routes=_family_routes(mode)) for prefix, mode in _MODES.items()],
    ]
