"""Recraft requests as the edge reads them: checked, and turned into the call to send and what it is billed as.

``/images/generations`` takes JSON (what the OpenAI SDK sends, Recraft's fields in
``extra_body``); every other operation a multipart form with its image file(s): ``image`` (and
``mask``) for the operations that draw (``n`` images answered as ``data``), ``file`` (or ``image``)
for the ones that process one image (answered as ``image``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.api.multipart import Form
from omnirelay.errors import InvalidRequest
from omnirelay.families.image_uploads import checked_image
from omnirelay.families.recraft.fields import (
    SIZES,
    VECTOR_STYLES,
    check_controls,
    check_style,
    check_text_layout,
    count,
    fraction,
    model,
    one_of,
    prompt,
    whole,
)
from omnirelay.families.recraft.pricing import price_names
from omnirelay.families.recraft.upstream import RecraftCall
from omnirelay.families.sync_call import SyncCall
from omnirelay.providers.base import ImageUpload

__all__ = ["MAX_IMAGE_BYTES", "OPERATIONS", "RecraftRequest", "form_request", "generation_request"]

MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""Recraft takes image files of at most 5 MB."""
_FORMATS = frozenset({"url", "b64_json"})
_MAX_SEED = 2**32 - 1


@dataclass(frozen=True, slots=True)
class _Shape:
    files: tuple[tuple[str, ...], ...]
    """Required file parts, each one of its alternative field names."""
    draws: bool = False
    """Takes ``prompt``, ``n``, ``model`` and the style fields; answers ``data``. Else answers ``image``."""
    strength: bool = False


OPERATIONS: dict[str, _Shape] = {
    "imageToImage": _Shape((("image",),), draws=True, strength=True),
    "inpaint": _Shape((("image",), ("mask",)), draws=True),
    "replaceBackground": _Shape((("image",),), draws=True),
    "generateBackground": _Shape((("image",), ("mask",)), draws=True),
    "eraseRegion": _Shape((("image",), ("mask",))),
    "vectorize": _Shape((("file", "image"),)),
    "removeBackground": _Shape((("file", "image"),)),
    "crispUpscale": _Shape((("file", "image"),)),
    "creativeUpscale": _Shape((("file", "image"),)),
}
"""Every operation sent as a form, by its path under ``/images/``."""


@dataclass(frozen=True, slots=True)
class RecraftRequest:
    call: RecraftCall
    billed: SyncCall
    b64: bool
    """The client asked for ``response_format: b64_json`` (images inline, nothing kept)."""
    single: bool
    """Answered as ``{"image": {...}}`` (one processed image), not ``{"data": [...]}``."""


def _drawing(fields: Mapping[str, Any], *, required_prompt: bool) -> tuple[str, bool, int]:
    """Checks shared by generations and the drawing operations: (model, vector output, n)."""
    prompt(fields.get("prompt"), required=required_prompt)
    name = model(fields.get("model"))
    style = check_style(fields)
    if fields.get("negative_prompt") is not None:
        prompt(fields.get("negative_prompt"), required=False)
    whole(fields.get("random_seed"), "random_seed", 0, _MAX_SEED)
    check_controls(fields.get("controls"))
    check_text_layout(fields.get("text_layout"))
    vector = style in VECTOR_STYLES or name.endswith("_vector")
    return name, vector, count(fields.get("n"))


def _billed(operation: str, name: str, units: int, size: int, *, vector: bool) -> SyncCall:
    return SyncCall(
        endpoint=f"recraft.{operation}",
        model=name,
        price_names=price_names(name, operation, vector=vector),
        units=units,
        body_size=size,
    )


def generation_request(body: Any, size: int) -> RecraftRequest:
    """``POST /images/generations``: a JSON object."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    name, vector, n = _drawing(body, required_prompt=True)
    one_of(body.get("size"), "size", SIZES)
    b64 = one_of(body.get("response_format"), "response_format", _FORMATS) == "b64_json"
    call = RecraftCall("generations", name, json=body, vector=vector)
    return RecraftRequest(call, _billed("generations", name, n, size, vector=vector), b64, single=False)


def _files(shape: _Shape, form: Form) -> tuple[ImageUpload, ...]:
    names = {f.name for f in form.files}
    for group in shape.files:
        if not names & set(group):
            raise InvalidRequest(f"Missing required file '{group[0]}' (a multipart file part).", param=group[0])
    allowed = {name for group in shape.files for name in group}
    for name in sorted(names - allowed):
        raise InvalidRequest(f"This endpoint takes no file '{name}'.", param=name)
    return tuple(checked_image(f, MAX_IMAGE_BYTES) for f in form.files)


def form_request(operation: str, form: Form) -> RecraftRequest:
    """A form operation of :data:`OPERATIONS`, checked."""
    shape = OPERATIONS[operation]
    files = _files(shape, form)
    fields = form.fields
    b64 = one_of(fields.get("response_format"), "response_format", _FORMATS) == "b64_json"
    if shape.strength:
        fraction(fields.get("strength"), "strength", required=True)
    if shape.draws:
        name, vector, n = _drawing(fields, required_prompt=True)
    else:
        name, vector, n = model(None), operation == "vectorize", 1
    named = name if shape.draws else None
    call = RecraftCall(operation, named, fields=tuple(fields.items()), files=files, vector=vector)
    return RecraftRequest(call, _billed(operation, name, n, form.size, vector=vector), b64, not shape.draws)
