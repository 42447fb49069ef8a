"""``/v1/images/generations``, ``/edits`` and ``/variations``; the signed links to kept images;
and image models answering ``/v1/chat/completions`` (``images.chat_models``)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from omnirelay.api.access_log import note_model
from omnirelay.api.multipart import read_form
from omnirelay.api.openai.files import file_response
from omnirelay.api.openai.intake import Intake, identify, intake
from omnirelay.errors import NotFound
from omnirelay.providers.base import ImageUpload
from omnirelay.relay.auth import Caller
from omnirelay.relay.images import IMAGE_CONTENT_PATH, ImageRequest, form_image_request, generation_request
from omnirelay.relay.images_chat import chat_completion, chat_image_request, chat_stream_body
from omnirelay.runtime import Runtime

__all__ = ["image_chat_completion", "images_routes", "is_image_chat"]


def _base_url(runtime: Runtime, request: Request) -> str:
    """Where clients reach this gateway, for the links it hands out."""
    return (runtime.settings.server.public_url or str(request.base_url)).rstrip("/")


async def _respond(
    request: Request, runtime: Runtime, caller: Caller, request_id: str, image_request: ImageRequest
) -> Response:
    relay = runtime.images
    job = await relay.begin(caller, image_request, request_id, f"images.{image_request.operation}")
    outcome = await relay.create(job, image_request, _base_url(runtime, request))
    return Response(
        orjson.dumps(outcome.to_wire()), media_type="application/json", headers={"x-request-id": request_id}
    )


async def image_generations(request: Request) -> Response:
    call = await intake(request)
    image_request = generation_request(call.body, call.size)
    return await _respond(request, call.runtime, call.caller, call.request_id, image_request)


async def _from_form(request: Request, operation: str) -> Response:
    runtime, caller = identify(request)
    settings = runtime.settings
    form = await read_form(request, settings.server.max_body_bytes, max_files=settings.images.max_files)
    note_model(request.scope, form.fields.get("model"))
    files = tuple(ImageUpload(f.name, f.filename, f.content_type, f.data) for f in form.files)
    image_request = form_image_request(operation, form.fields, files, form.size)
    return await _respond(request, runtime, caller, runtime.request_ids.next(), image_request)


async def image_edits(request: Request) -> Response:
    return await _from_form(request, "edits")


async def image_variations(request: Request) -> Response:
    return await _from_form(request, "variations")


async def image_content(request: Request) -> Response:
    """A kept image, for whoever holds its signed link (no API key)."""
    runtime: Runtime = request.app.state.runtime
    owner, file_id = request.path_params["owner"], request.path_params["file_id"]
    if not runtime.links.verify(owner, file_id, request.query_params.get("sig", "")):
        raise NotFound("No such image.")
    stored = await runtime.files.get(owner, file_id)
    if stored is None:
        raise NotFound("No such image.")
    response = file_response(runtime.files, stored, attachment=False)
    response.headers["cache-control"] = "private, max-age=86400"
    return response


def is_image_chat(runtime: Runtime, body: Any) -> bool:
    """Is this chat completion addressed to an image model (``images.chat_models``)?"""
    return isinstance(body, dict) and body.get("model") in runtime.settings.images.chat_models


async def image_chat_completion(request: Request, call: Intake) -> Response:
    """Draw, then answer as a chat completion whose content is the images as markdown."""
    image_request = chat_image_request(call.body, call.size)
    relay = call.runtime.images
    job = await relay.begin(call.caller, image_request, call.request_id, "chat.completions")
    outcome = await relay.create(job, image_request, _base_url(call.runtime, request))
    completion_id = f"chatcmpl-{call.request_id}"
    headers = {"x-request-id": call.request_id}
    if call.body.get("stream") is not True:
        answer = chat_completion(image_request.model, outcome, completion_id)
        return Response(orjson.dumps(answer), media_type="application/json", headers=headers)
    options = call.body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    frames = chat_stream_body(image_request.model, outcome, completion_id, include_usage=include_usage)
    return Response(frames, media_type="text/event-stream", headers={**headers, "cache-control": "no-cache"})


def images_routes() -> list[BaseRoute]:
    return [
        Route("/v1/images/generations", image_generations, methods=["POST"]),
        Route("/v1/images/edits", image_edits, methods=["POST"]),
        Route("/v1/images/variations", image_variations, methods=["POST"]),
        Route(IMAGE_CONTENT_PATH + "/{owner}/{file_id}", image_content, methods=["GET"]),
    ]
