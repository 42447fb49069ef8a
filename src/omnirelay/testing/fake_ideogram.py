"""A faithful fake of Ideogram's official synchronous API (spec §4.2), with knobs for relay tests.

``POST /generate`` (JSON ``{"image_request": {...}}``), ``/edit``, ``/remix``, ``/upscale``,
``/describe`` and ``/v1/ideogram-v3/{generate,edit,remix,reframe,replace-background}`` (multipart),
authenticated by the ``Api-Key`` header. Answers ``{"created", "data": [{prompt, resolution,
is_image_safe, seed, style_type, url}]}`` whose links are real images (PNG, JPEG or WebP by
operation) the fake serves under ``/files/``; ``/describe`` answers ``{"descriptions": [{"text"}]}``
about the image it was sent. Errors are ``{"error": ...}`` (a safety refusal ``{"detail": ...}``)::

    fake = FakeIdeogram(FakeIdeogramKnobs(api_key="ideo-key"))
    with serve_in_thread(fake.app) as url:
        ...  # flip fake.knobs.error_next / unsafe_prompts_containing between calls, read fake.requests
"""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import uvicorn
from PIL import Image, UnidentifiedImageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnirelay.testing._fake_image_shelf import ImageShelf, record_request
from omnirelay.testing._recording import RecordedRequest

__all__ = ["FORMATS", "FakeIdeogram", "FakeIdeogramKnobs", "run_fake_ideogram"]

FORMATS = {
    "generate": "png",
    "edit": "png",
    "remix": "jpg",
    "upscale": "webp",
    "v1/ideogram-v3/generate": "png",
    "v1/ideogram-v3/edit": "png",
    "v1/ideogram-v3/remix": "jpg",
    "v1/ideogram-v3/reframe": "webp",
    "v1/ideogram-v3/replace-background": "png",
}
"""Operation (its path without the leading slash) -> the format of the images it draws."""
_NEEDS_PROMPT = {"generate", "edit", "remix", "v1/ideogram-v3/generate", "v1/ideogram-v3/edit",
                 "v1/ideogram-v3/remix", "v1/ideogram-v3/replace-background"}  # fmt: skip


@dataclass
class FakeIdeogramKnobs:
    """What the fake does; the defaults behave like a healthy Ideogram account. Flip them between calls."""

    api_key: str | None = None
    """Require this ``Api-Key``; None: any caller."""
    latency_s: float = 0.0
    """Wait before answering every API call (not the file links)."""
    error_next: int = 0
    """The next N calls answer 500."""
    rate_limit_next: int = 0
    """The next N calls answer 429."""
    unsafe_prompts_containing: list[str] = field(default_factory=list)
    """Calls whose prompt contains one of these answer 422 (failed the safety check)."""
    withheld_prompts_containing: list[str] = field(default_factory=list)
    """Calls whose prompt contains one of these answer one more entry, unsafe, with no ``url``."""
    images_made: int | None = None
    """At most this many images per call, whatever ``num_images`` asked."""
    image_format: str | None = None
    """Draw every image as ``png``, ``jpg`` or ``webp``; None: by operation (:data:`FORMATS`)."""
    broken_links: bool = False
    """Answer links that do not open (404)."""


class _Refusal(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body


class FakeIdeogram:
    def __init__(self, knobs: FakeIdeogramKnobs | None = None) -> None:
        self.knobs = knobs or FakeIdeogramKnobs()
        self.requests: list[RecordedRequest] = []
        self.shelf = ImageShelf()
        routes = [Route("/" + op, self._endpoint(op), methods=["POST"]) for op in [*FORMATS, "describe"]]
        self.app = Starlette(routes=[*routes, self.shelf.route()])

    def _endpoint(self, operation: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body, files = await record_request(request, self.requests)
            try:
                self._admit(request)
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                if operation == "describe":
                    return JSONResponse(_describe(files))
                return JSONResponse(self._draw(operation, body, str(request.base_url)))
            except _Refusal as refusal:
                return JSONResponse(refusal.body, status_code=refusal.status)

        return endpoint

    def _admit(self, request: Request) -> None:
        knobs = self.knobs
        if knobs.api_key is not None and request.headers.get("api-key") != knobs.api_key:
            raise _Refusal(401, {"error": "Invalid API key"})
        if knobs.rate_limit_next > 0:
            knobs.rate_limit_next -= 1
            raise _Refusal(429, {"error": "Too many requests (the fake was told to: rate_limit_next)"})
        if knobs.error_next > 0:
            knobs.error_next -= 1
            raise _Refusal(500, {"error": "Internal error (the fake was told to: error_next)"})

    def _draw(self, operation: str, body: Any, base_url: str) -> dict[str, Any]:
        request = _image_request(body)
        prompt = str(request.get("prompt") or "")
        if operation in _NEEDS_PROMPT and not prompt:
            raise _Refusal(400, {"error": "prompt is required"})
        if any(word in prompt for word in self.knobs.unsafe_prompts_containing):
            raise _Refusal(422, {"detail": "Prompt failed the safety check."})
        count = int(request.get("num_images") or 1)
        if self.knobs.images_made is not None:
            count = min(count, self.knobs.images_made)
        extension = self.knobs.image_format or FORMATS[operation]
        data = [self._entry(request, prompt, extension, base_url) for _ in range(count)]
        if any(word in prompt for word in self.knobs.withheld_prompts_containing):
            data.append({**self._entry(request, prompt, extension, base_url), "is_image_safe": False, "url": None})
        return {"created": datetime.now(UTC).isoformat(), "data": data}

    def _entry(self, request: dict[str, Any], prompt: str, extension: str, base_url: str) -> dict[str, Any]:
        link = self.shelf.link(base_url, extension)
        return {
            "prompt": prompt,
            "resolution": _resolution(request.get("resolution")),
            "is_image_safe": True,
            "seed": int(request.get("seed") or random.randrange(2**31)),
            "style_type": request.get("style_type") or "GENERAL",
            "url": link.replace("/files/", "/missing/") if self.knobs.broken_links else link,
        }


def _image_request(body: Any) -> dict[str, Any]:
    """The fields of any operation: ``image_request`` (JSON, or a form's JSON string), else the form."""
    if not isinstance(body, dict):
        return {}
    inner = body.get("image_request")
    if isinstance(inner, str):
        inner = orjson.loads(inner)
    return inner if isinstance(inner, dict) else body


def _resolution(value: Any) -> str:
    if isinstance(value, str) and value.startswith("RESOLUTION_"):
        return value.removeprefix("RESOLUTION_").replace("_", "x")
    return value if isinstance(value, str) else "1024x1024"


def _describe(files: dict[str, bytes]) -> dict[str, Any]:
    try:
        with Image.open(io.BytesIO(files.get("image_file", b""))) as image:
            width, height = image.size
            kind = image.format
    except (UnidentifiedImageError, OSError) as exc:
        raise _Refusal(400, {"error": "image_file is not an image"}) from exc
    return {"descriptions": [{"text": f"A {width}x{height} {kind} picture of a coloured disc on a plain ground."}]}


def run_fake_ideogram(host: str, port: int, knobs: FakeIdeogramKnobs) -> None:
    """Blocking: serve a :class:`FakeIdeogram` on ``host:port`` (``omnirelay fake-upstream ideogram``)."""
    uvicorn.run(FakeIdeogram(knobs).app, host=host, port=port, log_level="warning", access_log=False)
