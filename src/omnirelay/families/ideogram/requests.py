"""Ideogram requests as the edge reads them: checked, and turned into the call to send and what it is billed as.

``/generate`` takes JSON ``{"image_request": {...}}``; ``/remix`` and ``/upscale`` a form whose
``image_request`` field is that object as a JSON string, with ``image_file``; ``/edit``,
``/describe`` and the V3 API plain forms. Every check (spec §4.2 enums and ranges, the files
really being images, the size) happens here, before anything is held.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.api.multipart import Form
from omnirelay.errors import InvalidRequest
from omnirelay.families.ideogram.fields import (
    ASPECTS,
    ASPECTS_V3,
    MAGIC,
    SPEEDS,
    STYLES,
    STYLES_V3,
    check_palette,
    check_resolution,
    enum,
    text,
    whole,
)
from omnirelay.families.ideogram.pricing import LEGACY_MODELS, V3_MODEL, price_names
from omnirelay.families.ideogram.upstream import IdeogramCall
from omnirelay.families.image_uploads import checked_image
from omnirelay.families.sync_call import SyncCall
from omnirelay.providers.base import ImageUpload

__all__ = ["FORM_OPERATIONS", "MAX_IMAGE_BYTES", "IdeogramRequest", "form_request", "generate_request"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Ideogram takes image files of at most 10 MB."""
MAX_IMAGES = 8
_MAX_SEED = 2_147_483_647
DEFAULT_MODEL = "V_2"
_EDIT_MODELS = ("V_2", "V_2_TURBO")
_DESCRIBE_MODELS = ("V_2", "V_3")
_V3_REFERENCES = ("style_reference_images", "character_reference_images", "character_reference_images_mask")


@dataclass(frozen=True, slots=True)
class _Shape:
    files: tuple[str, ...]
    """Required file fields."""
    optional_files: tuple[str, ...] = ()
    prompt: bool = True


FORM_OPERATIONS: dict[str, _Shape] = {
    "edit": _Shape(("image_file", "mask")),
    "remix": _Shape(("image_file",)),
    "upscale": _Shape(("image_file",), prompt=False),
    "describe": _Shape(("image_file",), prompt=False),
    "v3/generate": _Shape((), _V3_REFERENCES),
    "v3/edit": _Shape(("image", "mask"), _V3_REFERENCES),
    "v3/remix": _Shape(("image",), _V3_REFERENCES),
    "v3/reframe": _Shape(("image",), prompt=False),
    "v3/replace-background": _Shape(("image",), _V3_REFERENCES),
}
"""Every operation sent as a form: the file fields it takes."""


@dataclass(frozen=True, slots=True)
class IdeogramRequest:
    call: IdeogramCall
    billed: SyncCall


def _billed(operation: str, model: str, units: int, size: int, speed: str | None = None) -> SyncCall:
    name = operation.removeprefix("v3/")
    return SyncCall(
        endpoint=f"ideogram.{name}",
        model=model,
        price_names=price_names(model, name, speed),
        units=units,
        per_image=operation != "describe",
        body_size=size,
    )


def _image_request(value: Any, operation: str) -> tuple[str, int]:
    """The legacy ``image_request`` checked: (its model, or the default; images asked for)."""
    if not isinstance(value, Mapping):
        raise InvalidRequest("'image_request' must be a JSON object.", param="image_request")
    text(value.get("prompt"), "prompt", required=operation != "upscale")
    text(value.get("negative_prompt"), "negative_prompt")
    if value.get("aspect_ratio") is not None and value.get("resolution") is not None:
        raise InvalidRequest("'aspect_ratio' and 'resolution' cannot be used together.", param="resolution")
    enum(value.get("aspect_ratio"), "aspect_ratio", ASPECTS)
    check_resolution(value.get("resolution"), "resolution", v3=False)
    model = enum(value.get("model"), "model", LEGACY_MODELS) or DEFAULT_MODEL
    enum(value.get("magic_prompt_option"), "magic_prompt_option", MAGIC)
    enum(value.get("style_type"), "style_type", STYLES)
    whole(value.get("seed"), "seed", 0, _MAX_SEED)
    check_palette(value.get("color_palette"))
    for name in ("image_weight", "resemblance", "detail"):
        whole(value.get(name), name, 1, 100)
    return model, whole(value.get("num_images"), "num_images", 1, MAX_IMAGES) or 1


def generate_request(body: Any, size: int) -> IdeogramRequest:
    """``POST /generate``: a JSON object with an ``image_request`` object."""
    if not isinstance(body, dict) or "image_request" not in body:
        raise InvalidRequest("The body must be a JSON object with an 'image_request' object.", param="image_request")
    model, count = _image_request(body["image_request"], "generate")
    return IdeogramRequest(IdeogramCall("generate", model, json=body), _billed("generate", model, count, size))


def _files(operation: str, form: Form) -> tuple[ImageUpload, ...]:
    shape = FORM_OPERATIONS[operation]
    names = {f.name for f in form.files}
    for name in shape.files:
        if name not in names:
            raise InvalidRequest(f"Missing required file '{name}' (a multipart file part).", param=name)
    for name in names - {*shape.files, *shape.optional_files}:
        raise InvalidRequest(f"This endpoint takes no file '{name}'.", param=name)
    return tuple(checked_image(f, MAX_IMAGE_BYTES) for f in form.files)


def _legacy(operation: str, fields: Mapping[str, str]) -> tuple[str, int]:
    """(model, images asked for) of a legacy form operation."""
    if operation in ("remix", "upscale"):
        raw = fields.get("image_request", "{}" if operation == "upscale" else None)
        if raw is None:
            raise InvalidRequest("Missing required field 'image_request' (a JSON string).", param="image_request")
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest("'image_request' must be a JSON object.", param="image_request") from exc
        model, count = _image_request(value, operation)
        return (DEFAULT_MODEL if operation == "upscale" else model), count
    if operation == "describe":
        return enum(fields.get("describe_model_version"), "describe_model_version", _DESCRIBE_MODELS) or "V_2", 1
    text(fields.get("prompt"), "prompt", required=True)
    edit_model = enum(fields.get("model"), "model", _EDIT_MODELS)
    if edit_model is None:
        raise InvalidRequest("Missing required field 'model' (V_2 or V_2_TURBO).", param="model")
    enum(fields.get("magic_prompt_option"), "magic_prompt_option", MAGIC)
    enum(fields.get("style_type"), "style_type", STYLES)
    whole(fields.get("seed"), "seed", 0, _MAX_SEED)
    return edit_model, whole(fields.get("num_images"), "num_images", 1, MAX_IMAGES) or 1


def _v3(operation: str, fields: Mapping[str, str]) -> tuple[str, int]:
    """(rendering speed, images asked for) of a V3 operation."""
    text(fields.get("prompt"), "prompt", required=FORM_OPERATIONS[operation].prompt)
    text(fields.get("negative_prompt"), "negative_prompt")
    if operation == "v3/reframe" and fields.get("resolution") is None:
        raise InvalidRequest("Missing required field 'resolution' (e.g. 1024x1024).", param="resolution")
    if fields.get("aspect_ratio") is not None and fields.get("resolution") is not None:
        raise InvalidRequest("'aspect_ratio' and 'resolution' cannot be used together.", param="resolution")
    enum(fields.get("aspect_ratio"), "aspect_ratio", ASPECTS_V3)
    check_resolution(fields.get("resolution"), "resolution", v3=True)
    enum(fields.get("magic_prompt"), "magic_prompt", MAGIC)
    enum(fields.get("style_type"), "style_type", STYLES_V3)
    whole(fields.get("seed"), "seed", 0, _MAX_SEED)
    whole(fields.get("image_weight"), "image_weight", 1, 100)
    speed = enum(fields.get("rendering_speed"), "rendering_speed", SPEEDS) or "DEFAULT"
    return speed, whole(fields.get("num_images"), "num_images", 1, MAX_IMAGES) or 1


def form_request(operation: str, form: Form) -> IdeogramRequest:
    """A form operation of :data:`FORM_OPERATIONS`, checked."""
    files = _files(operation, form)
    fields = tuple(form.fields.items())
    if operation.startswith("v3/"):
        speed, count = _v3(operation, form.fields)
        call = IdeogramCall(operation, None, fields=fields, files=files)
        return IdeogramRequest(call, _billed(operation, V3_MODEL, count, form.size, speed))
    model, count = _legacy(operation, form.fields)
    named = model if operation in ("edit", "remix") else None
    call = IdeogramCall(operation, named, fields=fields, files=files)
    return IdeogramRequest(call, _billed(operation, model, count, form.size))
