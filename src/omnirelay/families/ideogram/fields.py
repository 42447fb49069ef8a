"""Ideogram's request fields, checked at the edge (spec §4.2): enums, ranges, prompts, the colour palette.

A value comes either typed (the JSON of ``/generate``, the ``image_request`` JSON string of
``/remix`` and ``/upscale``) or as a form field's text (``/edit``, the V3 API); both are accepted.
Each check raises :class:`~omnirelay.errors.InvalidRequest` naming the field, before anything is held.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from omnirelay.errors import InvalidRequest

__all__ = [
    "ASPECTS",
    "ASPECTS_V3",
    "MAGIC",
    "SPEEDS",
    "STYLES",
    "STYLES_V3",
    "check_palette",
    "check_resolution",
    "enum",
    "text",
    "whole",
]

ASPECTS = frozenset(
    {"ASPECT_1_1", "ASPECT_16_9", "ASPECT_9_16", "ASPECT_10_16", "ASPECT_16_10", "ASPECT_3_2", "ASPECT_2_3",
     "ASPECT_4_3", "ASPECT_3_4", "ASPECT_1_3", "ASPECT_3_1"}
)  # fmt: skip
ASPECTS_V3 = frozenset(
    {"1x3", "3x1", "1x2", "2x1", "9x16", "16x9", "10x16", "16x10", "2x3", "3x2", "3x4", "4x3", "4x5", "5x4", "1x1"}
)
STYLES = frozenset({"AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME"})
STYLES_V3 = frozenset({"AUTO", "GENERAL", "REALISTIC", "DESIGN", "FICTION"})
MAGIC = frozenset({"AUTO", "ON", "OFF"})
SPEEDS = frozenset({"FLASH", "TURBO", "DEFAULT", "QUALITY"})
MAX_PROMPT = 10_000
_RESOLUTION = re.compile(r"RESOLUTION_(\d{3,4})_(\d{3,4})")
_RESOLUTION_V3 = re.compile(r"(\d{3,4})x(\d{3,4})")
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_MAX_SIDE = 2048


def enum(value: object, name: str, allowed: Collection[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InvalidRequest(f"'{name}' must be one of {', '.join(sorted(allowed))}.", param=name)
    return value


def whole(value: object, name: str, low: int, high: int) -> int | None:
    """An integer from ``low`` to ``high``, given as a number or a form field's digits."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidRequest(f"'{name}' must be a whole number from {low} to {high}.", param=name)
    return value


def text(value: object, name: str, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"'{name}' must be a non-empty string.", param=name)
    if len(value) > MAX_PROMPT:
        raise InvalidRequest(f"'{name}' is longer than {MAX_PROMPT} characters.", param=name)
    return value


def check_resolution(value: object, name: str, *, v3: bool) -> str | None:
    """``RESOLUTION_1024_1024`` (legacy) or ``1024x1024`` (V3), each side from 256 to 2048."""
    if value is None:
        return None
    pattern = _RESOLUTION_V3 if v3 else _RESOLUTION
    found = pattern.fullmatch(value) if isinstance(value, str) else None
    if found is None or not all(256 <= int(side) <= _MAX_SIDE for side in found.groups()):
        example = "1024x1024" if v3 else "RESOLUTION_1024_1024"
        raise InvalidRequest(f"'{name}' must look like {example} (sides 256 to {_MAX_SIDE}).", param=name)
    return found.string


def _member(member: object) -> bool:
    if not isinstance(member, Mapping) or not _HEX.fullmatch(str(member.get("color_hex"))):
        return False
    weight = member.get("color_weight", 1.0)
    return isinstance(weight, int | float) and not isinstance(weight, bool) and 0.05 <= weight <= 1.0


def check_palette(value: Any) -> None:
    """``{"name": "EMBER"}`` or ``{"members": [{"color_hex": "#RRGGBB", "color_weight": 0.05..1}]}``."""
    if value is None:
        return
    if isinstance(value, Mapping) and isinstance(value.get("name"), str) and "members" not in value:
        return
    members = value.get("members") if isinstance(value, Mapping) else None
    if isinstance(members, list) and 0 < len(members) <= 16 and all(_member(m) for m in members):
        return
    raise InvalidRequest(
        '\'color_palette\' must be {"name": ...} or {"members": [{"color_hex": "#RRGGBB", '
        '"color_weight": 0.05..1}, ...]} (1 to 16 members).',
        param="color_palette",
    )
