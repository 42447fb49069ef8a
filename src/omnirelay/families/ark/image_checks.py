"""Checking an Ark image generation (spec §4.4) before anything is held: Ark's fields, Ark's limits.

The rules depend on the model's kind, told by its name:

* ``seededit`` (image to image): ``image`` (one URL or ``data:`` URL) is required, ``size`` is
  ``adaptive`` only, ``guidance_scale`` defaults to 5.5;
* ``seedream-4`` and later: ``size`` is ``1K``/``2K``/``4K`` or ``WxH`` (921,600 to 16,777,216
  pixels, sides at most 16:1), ``image`` is optional and up to 10 references, and
  ``sequential_image_generation: "auto"`` may make several images (``max_images``, 15 by default);
* any other (``seedream-3`` text to image): ``size`` is one of Ark's sizes, no ``image``.

What passes is forwarded as the client sent it (fields this gateway does not know included).
One image is held (``max_images`` for a sequence) and the images made are settled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from omnirelay.errors import InvalidRequest
from omnirelay.families.ark.inputs import check_image_ref, check_int, check_number, check_text
from omnirelay.families.ark.pricing import image_price_names

__all__ = ["T2I_SIZES", "ArkImageCreate", "ImageKind", "image_kind", "parse_image_create"]

ImageKind = Literal["t2i", "seededit", "seedream4"]
T2I_SIZES = ("1024x1024", "864x1152", "1152x864", "1280x720", "720x1280", "832x1248", "1248x832", "1512x648")
_SEEDREAM4_SIZES = ("1K", "2K", "4K")
_SEEDREAM4 = re.compile(r"seedream-([4-9]|\d\d)")
_WXH = re.compile(r"(\d{2,5})x(\d{2,5})")
_MIN_PIXELS, _MAX_PIXELS = 1280 * 720, 4096 * 4096
_MAX_REFS = 10
_MAX_SEQUENCE = 15


@dataclass(frozen=True, slots=True)
class ArkImageCreate:
    model: str
    body: dict[str, Any]
    price_names: list[str]
    calls: int
    """Images held."""
    response_format: str


def image_kind(model: str) -> ImageKind:
    if "seededit" in model:
        return "seededit"
    return "seedream4" if _SEEDREAM4.search(model) else "t2i"


def _seedream4_size(size: str) -> None:
    if size in _SEEDREAM4_SIZES:
        return
    match = _WXH.fullmatch(size)
    width, height = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or not _MIN_PIXELS <= width * height <= _MAX_PIXELS or max(width, height) > 16 * min(width, height):
        raise InvalidRequest(
            "size must be 1K, 2K, 4K or WxH with 921600 to 16777216 pixels and sides at most 16:1.", param="size"
        )


def _size(kind: ImageKind, body: Mapping[str, Any]) -> str:
    default = {"t2i": "1024x1024", "seededit": "adaptive", "seedream4": "2K"}[kind]
    size = body.get("size", default)
    if not isinstance(size, str):
        raise InvalidRequest("size must be a string.", param="size")
    if kind == "t2i" and size not in T2I_SIZES:
        raise InvalidRequest(f"size must be one of {', '.join(T2I_SIZES)} for this model.", param="size")
    if kind == "seededit" and size != "adaptive":
        raise InvalidRequest("size must be adaptive for this model.", param="size")
    if kind == "seedream4":
        _seedream4_size(size)
    return size


def _images(kind: ImageKind, body: Mapping[str, Any]) -> None:
    image = body.get("image")
    if kind == "seededit" and image is None:
        raise InvalidRequest("image is required for this model (a URL or a data:image/...;base64 URL).", param="image")
    if image is None:
        return
    if kind == "t2i":
        raise InvalidRequest("image is not supported by this model (text to image).", param="image")
    refs = image if isinstance(image, list) and kind == "seedream4" else [image]
    if not refs or len(refs) > _MAX_REFS:
        raise InvalidRequest(f"image must list 1 to {_MAX_REFS} images.", param="image")
    for ref in refs:
        check_image_ref(ref, "image")


def _sequence(kind: ImageKind, body: Mapping[str, Any]) -> int:
    """Images a call may make (held): one, or ``max_images`` of a sequence."""
    mode = body.get("sequential_image_generation", "disabled")
    if mode not in ("auto", "disabled") or (mode == "auto" and kind != "seedream4"):
        raise InvalidRequest(
            "sequential_image_generation must be auto or disabled (auto only on seedream-4 models).",
            param="sequential_image_generation",
        )
    if mode == "disabled":
        return 1
    options = body.get("sequential_image_generation_options") or {}
    if not isinstance(options, Mapping):
        raise InvalidRequest(
            "sequential_image_generation_options must be an object.", param="sequential_image_generation_options"
        )
    return check_int(options.get("max_images"), "max_images", 1, _MAX_SEQUENCE) or _MAX_SEQUENCE


def _format(body: Mapping[str, Any]) -> str:
    value = body.get("response_format", "url")
    if value not in ("url", "b64_json"):
        raise InvalidRequest("response_format must be url or b64_json.", param="response_format")
    return str(value)


def _model(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model is required (e.g. doubao-seedream-3-0-t2i-250415).", param="model")
    return model


def parse_image_create(body: object) -> ArkImageCreate:
    """The generation, checked; InvalidRequest naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = _model(body)
    kind = image_kind(model)
    check_text(body, "prompt", required=True)
    size = _size(kind, body)
    _images(kind, body)
    check_int(body.get("seed"), "seed", -1, 2**31 - 1)
    check_number(body.get("guidance_scale"), "guidance_scale", 1, 10)
    if body.get("watermark") is not None and not isinstance(body.get("watermark"), bool):
        raise InvalidRequest("watermark must be true or false.", param="watermark")
    if body.get("stream") not in (None, False):
        raise InvalidRequest("Streamed image generation is not supported by this gateway.", param="stream")
    calls = _sequence(kind, body)
    return ArkImageCreate(model, dict(body), image_price_names(model, size), calls, _format(body))
