"""Routes of the Replicate family, under ``/v1`` and, as aggregators expose them, ``/replicate/v1``.

Its create-by-model route (``POST /v1/models/{owner}/{name}/predictions``) shares a prefix
with Gemini's ``POST /v1/models/{target:path}``: the app mounts family routes first.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.body import read_body, read_json
from omnirelay.errors import OmniRelayError
from omnirelay.families.replicate.api.context import base_url, caller_of, prefix_of, services
from omnirelay.families.replicate.api.errors import json_response, problem_response
from omnirelay.families.replicate.api.media import output_file
from omnirelay.families.replicate.headers import cancel_after_s, wait_s
from omnirelay.families.replicate.request import parse_create, path_name
from omnirelay.families.replicate.service import CreateContext
from omnirelay.runtime import Runtime

__all__ = ["replicate_routes"]

_PREFIXES = ("/v1", "/replicate/v1")
_EPOCH = "1970-01-01T00:00:00.000Z"
"""The gateway does not know when a version was pushed; clients require some date."""


async def _create(request: Request, *, by_path: bool, deployment: bool) -> Response:
    try:
        runtime, caller = caller_of(request)
        ctx = CreateContext(
            caller=caller,
            base_url=base_url(request, runtime),
            prefix=prefix_of(request),
            wait_s=wait_s(request.headers.get("prefer")),
            cancel_after_s=cancel_after_s(request.headers.get("cancel-after")),
            cancel_after=(request.headers.get("cancel-after") or "").strip() or None,
        )
        params = request.path_params
        model = path_name(params["owner"], params["name"]) if by_path else None
        body, _ = await read_json(request, runtime.settings.server.max_body_bytes)
        family = services(runtime)
        parsed = parse_create(body, path_model=model, deployment=deployment, max_file_bytes=family.max_file_bytes)
        record = await family.creates.create(parsed, ctx)
        rendered = family.family.render(record)
    except OmniRelayError as exc:
        return problem_response(exc)
    return json_response(rendered, 201, {"location": rendered["urls"]["get"]})


async def create_by_version(request: Request) -> Response:
    return await _create(request, by_path=False, deployment=False)


async def create_by_model(request: Request) -> Response:
    return await _create(request, by_path=True, deployment=False)


async def create_by_deployment(request: Request) -> Response:
    return await _create(request, by_path=True, deployment=True)


async def get_prediction(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        family = services(runtime)
        record = await family.predictions.get(request.path_params["prediction_id"], caller)
        return json_response(family.family.render(record))
    except OmniRelayError as exc:
        return problem_response(exc)


async def cancel_prediction(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        family = services(runtime)
        record = await family.predictions.cancel(request.path_params["prediction_id"], caller)
        return json_response(family.family.render(record))
    except OmniRelayError as exc:
        return problem_response(exc)


async def list_predictions(request: Request) -> Response:
    try:
        runtime, caller = caller_of(request)
        list_url = f"{base_url(request, runtime)}{prefix_of(request)}/predictions"
        page = await services(runtime).listing.page(caller, request.query_params, list_url)
        return json_response(page)
    except OmniRelayError as exc:
        return problem_response(exc)


async def webhook_secret(request: Request) -> Response:
    """The caller's account signing secret: the one every webhook of its predictions is signed with."""
    try:
        runtime, caller = caller_of(request)
        hook = await runtime.tasks.hooks.get(caller.key.account_id)
        return json_response({"key": hook.secret})
    except OmniRelayError as exc:
        return problem_response(exc)


async def model_version(request: Request) -> Response:
    """``GET /v1/models/{owner}/{name}/versions/{id}``, which ``replicate.run("owner/name:<version>")``
    reads before it creates: the version as a bare record (no schema: outputs are not iterators)."""
    try:
        caller_of(request)
        params = request.path_params
        path_name(params["owner"], params["name"])
        return json_response(
            {"id": params["version_id"], "created_at": _EPOCH, "cog_version": "unknown", "openapi_schema": {}}
        )
    except OmniRelayError as exc:
        return problem_response(exc)


async def callback(request: Request) -> Response:
    """An upstream's webhook for one prediction (its URL carries the prediction's token): polled, not applied."""
    runtime: Runtime = request.app.state.runtime
    try:
        body = await read_body(request, runtime.settings.server.max_body_bytes)
        params = request.path_params
        headers = {k.lower(): v for k, v in request.headers.items()}
        await services(runtime).predictions.callback(params["task_id"], params["token"], headers, body)
    except OmniRelayError as exc:
        return problem_response(exc)
    return Response(status_code=204)


def _api_routes(prefix: str) -> list[BaseRoute]:
    return [
        Route(f"{prefix}/predictions", create_by_version, methods=["POST"]),
        Route(f"{prefix}/predictions", list_predictions, methods=["GET"]),
        Route(f"{prefix}/predictions/{{prediction_id}}", get_prediction, methods=["GET"]),
        Route(f"{prefix}/predictions/{{prediction_id}}/cancel", cancel_prediction, methods=["POST"]),
        Route(f"{prefix}/models/{{owner}}/{{name}}/predictions", create_by_model, methods=["POST"]),
        Route(f"{prefix}/deployments/{{owner}}/{{name}}/predictions", create_by_deployment, methods=["POST"]),
        Route(f"{prefix}/models/{{owner}}/{{name}}/versions/{{version_id}}", model_version, methods=["GET"]),
        Route(f"{prefix}/webhooks/default/secret", webhook_secret, methods=["GET"]),
    ]


def replicate_routes() -> list[BaseRoute]:
    return [
        Route("/replicate/files/{task_id}/{n:int}", output_file, methods=["GET"]),
        Route("/replicate/callback/{task_id}/{token}", callback, methods=["POST"]),
        *[route for prefix in _PREFIXES for route in _api_routes(prefix)],
    ]
