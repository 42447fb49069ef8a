"""Recraft's custom styles (``POST /styles``): a base style and 1-5 reference images make a ``style_id``.

The form has ``style`` (``realistic_image``, ``digital_illustration``, ``vector_illustration`` or
``icon``) and the reference images as file parts of any name (``file``, ``file1``...; PNG, JPEG or
WebP, 5 MB together). It is sent to a ``recraft`` channel serving the default model and answered
as Recraft does, ``{"id": "<uuid>"}``: the style belongs to that channel's Recraft account, so a
generation naming it must reach a channel of the same account. It is billed per call as
``recraftv3:styles`` (then ``recraftv3``), like the other operations that name no model.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.api.multipart import Form
from omnirelay.errors import InvalidRequest
from omnirelay.families.image_uploads import checked_image
from omnirelay.families.recraft.fields import one_of
from omnirelay.families.recraft.pricing import DEFAULT_MODEL, price_names
from omnirelay.families.recraft.upstream import StyleCall
from omnirelay.families.sync_call import SyncCall

__all__ = ["BASE_STYLES", "MAX_REFERENCES", "StyleRequest", "style_request"]

BASE_STYLES = frozenset({"realistic_image", "digital_illustration", "vector_illustration", "icon"})
MAX_REFERENCES = 5
_MAX_TOTAL_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StyleRequest:
    call: StyleCall
    billed: SyncCall


def style_request(form: Form) -> StyleRequest:
    """The checked ``/styles`` form; InvalidRequest naming the field otherwise (nothing held)."""
    style = one_of(form.fields.get("style"), "style", BASE_STYLES)
    if style is None:
        raise InvalidRequest("'style' is required: the base style of the new one.", param="style")
    for name in sorted(set(form.fields) - {"style"}):
        raise InvalidRequest(f"This endpoint takes no field '{name}'.", param=name)
    if not form.files:
        raise InvalidRequest("At least one reference image is required (a multipart file part).", param="file")
    if sum(len(f.data) for f in form.files) > _MAX_TOTAL_BYTES:
        raise InvalidRequest("The reference images are larger than 5 MB together.", param=form.files[0].name)
    files = tuple(checked_image(f, _MAX_TOTAL_BYTES) for f in form.files)
    billed = SyncCall(
        endpoint="recraft.styles",
        model=DEFAULT_MODEL,
        price_names=price_names(DEFAULT_MODEL, "styles", vector=False),
        units=1,
        per_image=False,
        body_size=form.size,
    )
    return StyleRequest(StyleCall(style, files), billed)
