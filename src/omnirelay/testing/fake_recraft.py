"""A faithful fake of Recraft's official synchronous API (spec §4.3), with knobs for relay tests.

Under ``/v1``: ``POST /images/generations`` (JSON, as the OpenAI SDK sends it) and
``/images/{imageToImage,inpaint,replaceBackground,generateBackground,eraseRegion,vectorize,
removeBackground,crispUpscale,creativeUpscale}`` (multipart), ``POST /styles`` (multipart: ``style``
and 1-5 reference images, answering ``{"id"}``; a generation naming an unknown ``style_id`` is a 400)
and ``GET /users/me``, authenticated by ``Authorization: Bearer``. The operations that draw answer
``{"created", "credits", "data": [{"image_id", "url" | "b64_json"}]}``, the ones that process one image
``{"created", "credits", "image": {...}}``. Links
are real files the fake serves under ``/files/``: WebP, PNG or JPEG by operation, SVG for
``vectorize`` and the vector styles, a transparent PNG for ``removeBackground``. Errors are
``{"code", "message"}``::

    fake = FakeRecraft(FakeRecraftKnobs(api_key="rc-key"))
    with serve_in_thread(fake.app) as url:
        ...  # the channel's base URL is f"{url}/v1"
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnirelay.testing._fake_image_shelf import ImageShelf, record_request
from omnirelay.testing._fake_replicate_media import render
from omnirelay.testing._recording import RecordedRequest

__all__ = ["DRAWING", "PROCESSING", "FakeRecraft", "FakeRecraftKnobs", "run_fake_recraft"]

DRAWING = {"generations": "webp", "imageToImage": "png", "inpaint": "png", "replaceBackground": "jpg",
           "generateBackground": "png"}  # fmt: skip
"""Operations answering ``data`` (``n`` images) -> the format they draw (vector styles: SVG)."""
PROCESSING = {"eraseRegion": "png", "vectorize": "svg", "removeBackground": "png", "crispUpscale": "webp",
              "creativeUpscale": "jpg"}  # fmt: skip
"""Operations answering ``image`` -> the format of the one image."""
_VECTOR_STYLES = ("vector_illustration", "icon")
_BASE_STYLES = ("realistic_image", "digital_illustration", "vector_illustration", "icon")
_CREDITS = 40


@dataclass
class FakeRecraftKnobs:
    """What the fake does; the defaults behave like a healthy Recraft account. Flip them between calls."""

    api_key: str | None = None
    """Require this bearer token; None: any caller."""
    latency_s: float = 0.0
    error_next: int = 0
    """The next N calls answer 500."""
    rate_limit_next: int = 0
    """The next N calls answer 429."""
    unsafe_prompts_containing: list[str] = field(default_factory=list)
    """Calls whose prompt contains one of these answer 422 (the content was moderated)."""
    images_made: int | None = None
    """At most this many images per call, whatever ``n`` asked."""
    broken_links: bool = False
    """Answer links that do not open (404)."""


class _Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.body = {"code": code, "message": message}


class FakeRecraft:
    def __init__(self, knobs: FakeRecraftKnobs | None = None) -> None:
        self.knobs = knobs or FakeRecraftKnobs()
        self.requests: list[RecordedRequest] = []
        self.shelf = ImageShelf()
        self.styles: dict[str, str] = {}
        """Custom styles made here: id -> base style."""
        routes = [Route(f"/v1/images/{op}", self._endpoint(op), methods=["POST"]) for op in [*DRAWING, *PROCESSING]]
        extra = [Route("/v1/styles", self._styles, methods=["POST"]), Route("/v1/users/me", self._me)]
        self.app = Starlette(routes=[*routes, *extra, self.shelf.route()])

    async def _styles(self, request: Request) -> Response:
        fields, files = await record_request(request, self.requests)
        try:
            self._admit(request)
            style = fields.get("style") if isinstance(fields, dict) else None
            if style not in _BASE_STYLES:
                raise _Refusal(400, "invalid_request", "style must be one of " + ", ".join(_BASE_STYLES))
            if not 1 <= len(files) <= 5:
                raise _Refusal(400, "invalid_request", "between 1 and 5 reference images are required")
        except _Refusal as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status)
        style_id = str(uuid.uuid4())
        self.styles[style_id] = str(style)
        return JSONResponse({"id": style_id})

    async def _me(self, request: Request) -> Response:
        try:
            self._admit(request)
        except _Refusal as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status)
        return JSONResponse({"id": "00000000-0000-4000-8000-000000000001", "name": "fake", "email": "fake@example.com",
                             "credits": 1000})  # fmt: skip

    def _endpoint(self, operation: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body, files = await record_request(request, self.requests)
            try:
                self._admit(request)
                if self.knobs.latency_s > 0:
                    await asyncio.sleep(self.knobs.latency_s)
                fields = body if isinstance(body, dict) else {}
                return JSONResponse(self._answer(operation, fields, files, str(request.base_url)))
            except _Refusal as refusal:
                return JSONResponse(refusal.body, status_code=refusal.status)

        return endpoint

    def _admit(self, request: Request) -> None:
        knobs = self.knobs
        if knobs.api_key is not None and request.headers.get("authorization") != f"Bearer {knobs.api_key}":
            raise _Refusal(401, "not_authenticated", "Invalid or missing token")
        if knobs.rate_limit_next > 0:
            knobs.rate_limit_next -= 1
            raise _Refusal(429, "too_many_requests", "Rate limit exceeded (the fake was told to: rate_limit_next)")
        if knobs.error_next > 0:
            knobs.error_next -= 1
            raise _Refusal(500, "internal_error", "Internal error (the fake was told to: error_next)")

    def _answer(self, operation: str, fields: dict[str, Any], files: dict[str, bytes], base: str) -> dict[str, Any]:
        prompt = str(fields.get("prompt") or "")
        if operation in DRAWING and not prompt:
            raise _Refusal(400, "invalid_request", "prompt is required")
        if operation not in ("generations", *PROCESSING) and "image" not in files:
            raise _Refusal(400, "invalid_request", "image is required")
        if fields.get("style_id") is not None and fields.get("style_id") not in self.styles:
            raise _Refusal(400, "style_not_found", "No style with this style_id exists in this account.")
        if prompt and any(word in prompt for word in self.knobs.unsafe_prompts_containing):
            raise _Refusal(422, "content_moderation", "The prompt did not pass content moderation.")
        b64 = fields.get("response_format") == "b64_json"
        if operation in PROCESSING:
            seed = "-cutout" if operation == "removeBackground" else ""
            image = self._image(PROCESSING[operation], base, b64, seed)
            return {"created": int(time.time()), "credits": _CREDITS, "image": image}
        count = int(fields.get("n") or 1)
        if self.knobs.images_made is not None:
            count = min(count, self.knobs.images_made)
        extension = "svg" if _vector(fields) else DRAWING[operation]
        data = [self._image(extension, base, b64) for _ in range(count)]
        return {"created": int(time.time()), "credits": _CREDITS * count, "data": data}

    def _image(self, extension: str, base: str, b64: bool, seed: str = "") -> dict[str, Any]:
        image_id = str(uuid.uuid4())
        if b64:
            return {"image_id": image_id, "b64_json": base64.b64encode(render(image_id + seed, extension)).decode()}
        link = self.shelf.link(base, extension, seed)
        return {"image_id": image_id, "url": link.replace("/files/", "/missing/") if self.knobs.broken_links else link}


def _vector(fields: dict[str, Any]) -> bool:
    return fields.get("style") in _VECTOR_STYLES or str(fields.get("model") or "").endswith("_vector")


def run_fake_recraft(host: str, port: int, knobs: FakeRecraftKnobs) -> None:
    """Blocking: serve a :class:`FakeRecraft` on ``host:port`` (``omnirelay fake-upstream recraft``)."""
    uvicorn.run(FakeRecraft(knobs).app, host=host, port=port, log_level="warning", access_log=False)
