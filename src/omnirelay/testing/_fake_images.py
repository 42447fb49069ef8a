"""What the fake OpenAI upstream answers to ``/v1/images/*``: real PNGs drawn with Pillow.

Generations paint the requested size (default 1024x1024) in a colour taken from the
prompt; edits return the first image (resized when ``size`` is given) with the mask's
transparent area painted over; variations mirror the image. ``url`` answers link to the
fake itself (``/v1/images/files/<name>``, no key needed), ``b64_json`` answers are inline;
``gpt-image-*`` models always answer inline, with token usage (100 output tokens an image,
one input token a prompt word) unless ``include_usage`` is off, as OpenAI's do. ``dall-e-3``
takes ``n=1`` only and adds a ``revised_prompt``. The fault knobs ``status``,
``fail_times``, ``api_key`` and ``latency_s`` apply as they do to chat.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import secrets
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import orjson
from PIL import Image, ImageOps, UnidentifiedImageError
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._recording import RecordedRequest

if TYPE_CHECKING:
    from omnirelay.testing.fake_openai import FakeOpenAI

__all__ = ["image_routes"]

_DEFAULT_SIZE = (1024, 1024)
_KEPT_LINKS = 256
_OUTPUT_TOKENS = 100


class _Refused(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _error(status: int, message: str, param: str | None = None) -> Response:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _size(text: Any, default: tuple[int, int]) -> tuple[int, int]:
    if text in (None, "auto"):
        return default
    width, _, height = str(text).partition("x")
    if not (width.isdigit() and height.isdigit()) or not (0 < int(width) <= 4096 and 0 < int(height) <= 4096):
        raise _Refused(f"Invalid size '{text}'.", "size")
    return int(width), int(height)


def _colour(prompt: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(prompt.encode()).digest()
    return digest[0], digest[1], digest[2]


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _open(upload: UploadFile | str | None, param: str) -> Image.Image:
    if not isinstance(upload, UploadFile):
        raise _Refused(f"Missing required parameter: '{param}'.", param)
    upload.file.seek(0)
    try:
        return Image.open(upload.file).convert("RGBA")
    except UnidentifiedImageError as exc:
        raise _Refused(f"Invalid image file for '{param}'.", param) from exc


def draw(prompt: str, size: tuple[int, int]) -> bytes:
    """A picture of the prompt's colour with a lighter square in the middle."""
    image = Image.new("RGB", size, _colour(prompt))
    width, height = size
    inner = tuple(min(255, c + 96) for c in _colour(prompt))
    image.paste(inner, (width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    return _png(image)


def edit(source: Image.Image, mask: Image.Image | None, prompt: str, size: tuple[int, int] | None) -> bytes:
    if mask is not None:
        if mask.size != source.size:
            raise _Refused("The mask must have the same dimensions as the image.", "mask")
        transparent = mask.getchannel("A").point(lambda alpha: 255 if alpha == 0 else 0)
        source.paste((*_colour(prompt), 255), (0, 0, *source.size), transparent)
    return _png(source.resize(size) if size is not None else source)


class _FakeImages:
    def __init__(self, fake: FakeOpenAI) -> None:
        self._fake = fake
        self._links: OrderedDict[str, bytes] = OrderedDict()

    async def generations(self, request: Request) -> Response:
        body = await self._fake._record(request)
        if (refusal := self._fake._refusal(request)) is not None:
            return refusal
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str) or not body["prompt"]:
            return _error(400, "Missing required parameter: 'prompt'.", "prompt")
        return await self._answer(request, body, lambda: draw(body["prompt"], _size(body.get("size"), _DEFAULT_SIZE)))

    async def edits(self, request: Request) -> Response:
        form = await self._form(request)
        if (refusal := self._fake._refusal(request)) is not None:
            return refusal
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not fields.get("prompt"):
            return _error(400, "Missing required parameter: 'prompt'.", "prompt")
        sources = form.getlist("image") + form.getlist("image[]")
        image, mask = (sources[0] if sources else None), form.get("mask")

        def render() -> bytes:
            size = _size(fields["size"], _DEFAULT_SIZE) if "size" in fields else None
            return edit(
                _open(image, "image"), _open(mask, "mask") if mask is not None else None, fields["prompt"], size
            )

        return await self._answer(request, fields, render)

    async def variations(self, request: Request) -> Response:
        form = await self._form(request)
        if (refusal := self._fake._refusal(request)) is not None:
            return refusal
        fields = {k: v for k, v in form.items() if isinstance(v, str)}

        def render() -> bytes:
            mirrored = ImageOps.mirror(_open(form.get("image"), "image"))
            return _png(mirrored.resize(_size(fields["size"], mirrored.size)) if "size" in fields else mirrored)

        return await self._answer(request, fields, render)

    async def link(self, request: Request) -> Response:
        data = self._links.get(request.path_params["name"])
        if data is None:
            return _error(404, "No such image.")
        return Response(data, media_type="image/png")

    async def _form(self, request: Request) -> Any:
        form = await request.form()
        recorded: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        recorded["files"] = [
            {"field": k, "filename": v.filename, "content_type": v.content_type, "bytes": len(await v.read())}
            for k, v in form.multi_items()
            if isinstance(v, UploadFile)
        ]
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.seek(0)
        self._fake.requests.append(RecordedRequest(request.method, request.url.path, dict(request.headers), recorded))
        return form

    async def _answer(self, request: Request, body: dict[str, Any], render: Any) -> Response:
        model = str(body.get("model") or "dall-e-2")
        n = int(body.get("n") or 1)
        if model == "dall-e-3" and n != 1:
            return _error(400, "dall-e-3 only supports n=1.", "n")
        if self._fake.knobs.latency_s:
            await asyncio.sleep(self._fake.knobs.latency_s)
        try:
            images = [render() for _ in range(n)]
        except _Refused as refused:
            return _error(400, str(refused), refused.param)
        return Response(orjson.dumps(self._images(request, body, model, images)), media_type="application/json")

    def _images(self, request: Request, body: dict[str, Any], model: str, images: list[bytes]) -> dict[str, Any]:
        gpt_image = model.startswith("gpt-image")
        inline = gpt_image or body.get("response_format") == "b64_json"
        data: list[dict[str, Any]] = []
        for png in images:
            item = {"b64_json": base64.b64encode(png).decode()} if inline else {"url": self._keep(request, png)}
            if model == "dall-e-3":
                item["revised_prompt"] = f"A detailed picture of {body.get('prompt')}"
            data.append(item)
        answer: dict[str, Any] = {"created": int(time.time()), "data": data}
        if gpt_image:
            answer.update(background="opaque", output_format="png", quality="medium", size=body.get("size", "auto"))
            if self._fake.knobs.include_usage:
                words = len(str(body.get("prompt") or "").split())
                output = _OUTPUT_TOKENS * len(images)
                answer["usage"] = {
                    "input_tokens": words,
                    "output_tokens": output,
                    "total_tokens": words + output,
                    "input_tokens_details": {"text_tokens": words, "image_tokens": 0},
                }
        return answer

    def _keep(self, request: Request, png: bytes) -> str:
        name = secrets.token_hex(8) + ".png"
        self._links[name] = png
        while len(self._links) > _KEPT_LINKS:
            self._links.popitem(last=False)
        return f"{str(request.base_url).rstrip('/')}/v1/images/files/{name}"


def image_routes(fake: FakeOpenAI) -> list[Route]:
    images = _FakeImages(fake)
    return [
        Route("/v1/images/generations", images.generations, methods=["POST"]),
        Route("/v1/images/edits", images.edits, methods=["POST"]),
        Route("/v1/images/variations", images.variations, methods=["POST"]),
        Route("/v1/images/files/{name}", images.link, methods=["GET"]),
    ]
