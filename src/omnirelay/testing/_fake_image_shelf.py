"""What the fake synchronous image vendors (Ideogram, Recraft) share: the files they drew, and their requests.

:class:`ImageShelf` hands out a link per drawn image (``/files/{id}.{png|jpg|webp|svg}``) and serves
it: real images (Pillow) or SVG, drawn from the id, so the same link always serves the same bytes,
and only links it handed out. :func:`record_request` keeps a JSON body, or a form's fields and files.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_replicate_media import MEDIA_TYPES, render
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["ImageShelf", "record_request"]


@functools.lru_cache(maxsize=128)
def _drawn(name: str) -> bytes:
    stem, _, extension = name.partition(".")
    return render(stem, extension)


class ImageShelf:
    def __init__(self) -> None:
        self.names: set[str] = set()

    def link(self, base_url: str, extension: str, seed: str = "") -> str:
        """A new file's URL; ``seed`` ending in ``-cutout`` draws a PNG with a transparent background."""
        name = f"{uuid.uuid4().hex}{seed}.{extension}"
        self.names.add(name)
        return f"{base_url.rstrip('/')}/files/{name}"

    async def serve(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in self.names:
            return Response(status_code=404)
        content = await asyncio.to_thread(_drawn, name)
        return Response(content, media_type=MEDIA_TYPES[name.rpartition(".")[2]])

    def route(self) -> Route:
        return Route("/files/{name}", self.serve, methods=["GET"])


async def record_request(request: Request, into: list[RecordedRequest]) -> tuple[Any, dict[str, bytes]]:
    """Record ``request``; returns its JSON body, or (for a form) its text fields, and its files' bytes.

    A form is recorded with ``json`` = ``{"fields": {...}, "files": {name: [content type, size]}}``."""
    if not request.headers.get("content-type", "").startswith(("multipart/form-data", "application/x-www-form")):
        return await record_json(request, into), {}
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    described: dict[str, list[Any]] = {}
    async with request.form() as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                files[name] = await value.read()
                described[name] = [value.content_type, len(files[name])]
            else:
                fields[name] = value
    recorded = {"fields": fields, "files": described}
    into.append(RecordedRequest(request.method, request.url.path, dict(request.headers), recorded))
    return fields, files
