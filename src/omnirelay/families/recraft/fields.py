"""Recraft's request fields, checked at the edge (spec §4.3): models, styles, sizes, counts, controls.

A value comes typed (the JSON of ``/images/generations``) or as a form field's text (every other
operation; ``controls`` and ``text_layout`` then as JSON strings); both are accepted. Each check
raises :class:`~omnirelay.errors.InvalidRequest` naming the field, before anything is held.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from omnirelay.errors import InvalidRequest
from omnirelay.families.recraft.pricing import DEFAULT_MODEL, KNOWN_MODELS

__all__ = [
    "MAX_IMAGES",
    "SIZES",
    "STYLES",
    "VECTOR_STYLES",
    "check_controls",
    "check_style",
    "check_text_layout",
    "count",
    "fraction",
    "model",
    "one_of",
    "prompt",
    "structured",
    "whole",
]

MAX_IMAGES = 6
MAX_PROMPT = 1000
STYLES = frozenset({"any", "realistic_image", "digital_illustration", "vector_illustration", "icon", "logo_raster"})
VECTOR_STYLES = frozenset({"vector_illustration", "icon"})
SIZES = frozenset(
    {"1024x1024", "1365x1024", "1024x1365", "1536x1024", "1024x1536", "1820x1024", "1024x1820", "1024x2048",
     "2048x1024", "1434x1024", "1024x1434", "1024x1280", "1280x1024", "1024x1707", "1707x1024"}
)  # fmt: skip
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def one_of(value: object, name: str, allowed: frozenset[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InvalidRequest(f"'{name}' must be one of {', '.join(sorted(allowed))}.", param=name)
    return value


def model(value: object) -> str:
    """A known model (or a ``recraftv4...`` one); ``recraftv3`` when none is named."""
    if value is None:
        return DEFAULT_MODEL
    if isinstance(value, str) and (value in KNOWN_MODELS or re.fullmatch(r"recraftv4[a-z0-9_]*", value)):
        return value
    raise InvalidRequest(f"'model' must be one of {', '.join(KNOWN_MODELS)} or a recraftv4 model.", param="model")


def prompt(value: object, *, required: bool) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("'prompt' must be a non-empty string.", param="prompt")
    if len(value) > MAX_PROMPT:
        raise InvalidRequest(f"'prompt' is longer than {MAX_PROMPT} characters.", param="prompt")


def whole(value: object, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be a whole number from {low} to {high}.", param=name)
    return value


def count(value: object) -> int:
    return whole(value, "n", 1, MAX_IMAGES) or 1


def fraction(value: object, name: str, *, required: bool = False) -> None:
    """A number from 0 to 1 (``strength``)."""
    if value is None and not required:
        return
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        number = None
    if not isinstance(number, int | float) or isinstance(number, bool) or not 0 <= number <= 1:
        raise InvalidRequest(f"'{name}' must be a number from 0 to 1.", param=name)


def structured(value: object, name: str) -> Any:
    """A JSON value, or a form field holding one."""
    if not isinstance(value, str):
        return value
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"'{name}' must be JSON.", param=name) from exc


def check_style(fields: Mapping[str, Any]) -> str | None:
    """``style`` and ``style_id`` are exclusive; ``substyle`` needs a ``style``. Returns the style."""
    style = one_of(fields.get("style"), "style", STYLES)
    style_id = fields.get("style_id")
    if style is not None and style_id is not None:
        raise InvalidRequest("'style' and 'style_id' cannot be used together.", param="style_id")
    if style_id is not None and not (isinstance(style_id, str) and _UUID.fullmatch(style_id)):
        raise InvalidRequest("'style_id' must be the UUID of a custom style.", param="style_id")
    substyle = fields.get("substyle")
    if substyle is not None and (style is None or not isinstance(substyle, str) or not substyle.strip()):
        raise InvalidRequest("'substyle' must be a non-empty string and needs a 'style'.", param="substyle")
    return style


def _rgb(value: object) -> bool:
    rgb = value.get("rgb") if isinstance(value, Mapping) else None
    return isinstance(rgb, list) and len(rgb) == 3 and all(isinstance(c, int) and 0 <= c <= 255 for c in rgb)


def check_controls(value: object) -> None:
    """``{colors: [{rgb}], background_color: {rgb}, artistic_level: 0..5, no_text: bool}``."""
    controls = structured(value, "controls")
    if controls is None:
        return
    if not isinstance(controls, Mapping):
        raise InvalidRequest("'controls' must be an object.", param="controls")
    colors = controls.get("colors", [])
    if not isinstance(colors, list) or not all(_rgb(c) for c in colors):
        raise InvalidRequest("'controls.colors' must be a list of {\"rgb\": [r, g, b]}.", param="controls")
    if "background_color" in controls and not _rgb(controls["background_color"]):
        raise InvalidRequest("'controls.background_color' must be {\"rgb\": [r, g, b]}.", param="controls")
    whole(controls.get("artistic_level"), "controls.artistic_level", 0, 5)
    if not isinstance(controls.get("no_text", False), bool):
        raise InvalidRequest("'controls.no_text' must be true or false.", param="controls")


def _layout_item(item: object) -> bool:
    if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
        return False
    box = item.get("bbox")
    return isinstance(box, list) and len(box) == 4 and all(isinstance(p, list) and len(p) == 2 for p in box)


def check_text_layout(value: object) -> None:
    """``[{"text": "...", "bbox": [[x, y] x 4]}]``."""
    layout = structured(value, "text_layout")
    if layout is not None and not (isinstance(layout, list) and all(_layout_item(i) for i in layout)):
        raise InvalidRequest(
            '\'text_layout\' must be a list of {"text": ..., "bbox": [[x, y], [x, y], [x, y], [x, y]]}.',
            param="text_layout",
        )
