"""Reading a ``POST /v1/videos`` body: a multipart form (the official SDK) or JSON, and the caller."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from omnirelay.api.body import read_json
from omnirelay.api.callers import identify
from omnirelay.api.multipart import read_form
from omnirelay.errors import InvalidRequest
from omnirelay.families.videos.creates import ImagePart, VideoCreate, parse_create
from omnirelay.families.videos.services import VideosServices
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["caller_of", "read_create", "services"]


def services(runtime: Runtime) -> VideosServices:
    return runtime.tasks.service("videos", VideosServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    return identify(request, bearer_token(request.headers.get("authorization")))


def _nested(fields: dict[str, str]) -> dict[str, Any]:
    """Form fields with ``name[key]`` parts gathered into objects (how the SDK sends
    ``input_reference={"image_url": ...}`` in a form)."""
    body: dict[str, Any] = {}
    for name, value in fields.items():
        outer, bracket, inner = name.partition("[")
        if bracket and inner.endswith("]") and not isinstance(body.get(outer, {}), str):
            body.setdefault(outer, {})[inner[:-1]] = value
        else:
            body[name] = value
    return body


async def _form(request: Request, limit: int) -> tuple[dict[str, Any], ImagePart | None]:
    form = await read_form(request, limit, max_files=1)
    image = None
    for file in form.files:
        if file.name != "input_reference":
            raise InvalidRequest(f"Unexpected file field '{file.name}'.", param=file.name)
        image = ImagePart(file.content_type, file.data)
    return _nested(form.fields), image


async def read_create(request: Request, runtime: Runtime) -> VideoCreate:
    limit = runtime.settings.server.max_body_bytes
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        fields, image = await _form(request, limit)
        return parse_create(fields, image)
    body, _ = await read_json(request, limit)
    return parse_create(body)
