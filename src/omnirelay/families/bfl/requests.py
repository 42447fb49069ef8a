"""Checking a BFL request (spec §4.1) before anything is held: BFL's own fields, BFL's own limits.

Every wrong field is reported at once, as FastAPI does (422, one ``detail`` entry per field). What
passes is forwarded as the client sent it (fields this gateway does not know included), less
``webhook_url`` and ``webhook_secret`` (the gateway delivers the webhook itself, signed).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.families.bfl.invalid import InvalidFields
from omnirelay.families.bfl.pricing import DEFAULT_SIZE, SIZED_MODELS, price_names

__all__ = ["MAX_WEBHOOK_URL", "BflCreate", "parse_create"]

MAX_WEBHOOK_URL = 2083
_SIDE = (256, 1440, 32)
_RATIO = (9 / 21, 21 / 9)
_IMAGE_FIELDS = ("image_prompt", "input_image", "image", "control_image", "mask")
_PROMPTLESS = frozenset({"flux-pro-1.0-fill", "flux-pro-1.0-expand"})
"""Models whose prompt may be left out (they work from ``image``)."""
_NEEDS = {"flux-pro-1.0-fill": "image", "flux-pro-1.0-expand": "image",
          "flux-pro-1.0-canny": "control_image", "flux-pro-1.0-depth": "control_image"}  # fmt: skip
Detail = dict[str, Any]


@dataclass(frozen=True, slots=True)
class BflCreate:
    model: str
    body: dict[str, Any]
    """What goes upstream (no webhook fields)."""
    price_names: list[str]
    webhook_url: str | None
    webhook_secret: str | None


def _error(field: str, msg: str, kind: str) -> Detail:
    return {"loc": ["body", field], "msg": msg, "type": kind}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _prompt(model: str, body: Mapping[str, Any]) -> Detail | None:
    value = body.get("prompt")
    if value is None:
        return None if model in _PROMPTLESS else _error("prompt", "Field required", "missing")
    if not isinstance(value, str):
        return _error("prompt", "Input should be a valid string", "string_type")
    if not value.strip() and model not in _PROMPTLESS:
        return _error("prompt", "String should have at least 1 character", "string_too_short")
    return None


def _side(field: str, value: object) -> Detail | None:
    low, high, step = _SIDE
    if not _is_int(value):
        return _error(field, "Input should be a valid integer", "int_type")
    assert isinstance(value, int)
    if value < low:
        return _error(field, f"Input should be greater than or equal to {low}", "greater_than_equal")
    if value > high:
        return _error(field, f"Input should be less than or equal to {high}", "less_than_equal")
    if value % step:
        return _error(field, f"Input should be a multiple of {step}", "multiple_of")
    return None


def _ranged(field: str, value: object, low: float, high: float, *, whole: bool) -> Detail | None:
    if not (_is_int(value) if whole else _is_number(value)):
        kind = "int_type" if whole else "float_type"
        return _error(field, f"Input should be a valid {'integer' if whole else 'number'}", kind)
    assert isinstance(value, int | float)
    if value < low:
        return _error(field, f"Input should be greater than or equal to {low:g}", "greater_than_equal")
    if value > high:
        return _error(field, f"Input should be less than or equal to {high:g}", "less_than_equal")
    return None


def _aspect(value: object) -> Detail | None:
    width, _, height = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not (width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0):
        return _error("aspect_ratio", "Aspect ratio must be of the form W:H, e.g. 16:9", "value_error")
    if not _RATIO[0] <= int(width) / int(height) <= _RATIO[1]:
        return _error("aspect_ratio", "Aspect ratio must be between 21:9 and 9:21", "value_error")
    return None


def _image(field: str, value: object) -> Detail | None:
    """An http(s) URL (fetched by BFL, not here) or base64, a ``data:`` prefix allowed."""
    if not isinstance(value, str):
        return _error(field, "Input should be a valid string", "string_type")
    if value.startswith(("http://", "https://")):
        return None
    data = value.partition(",")[2] if value.startswith("data:") else value
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        return _error(field, f"{field} must be a valid base64-encoded image or an http(s) URL", "value_error")
    return None


def _choice(field: str, value: object, allowed: tuple[str, ...]) -> Detail | None:
    if value in allowed:
        return None
    return _error(field, "Input should be " + " or ".join(f"'{a}'" for a in allowed), "literal_error")


def _boolean(field: str, value: object) -> Detail | None:
    return None if isinstance(value, bool) else _error(field, "Input should be a valid boolean", "bool_type")


def _webhook(body: Mapping[str, Any]) -> list[Detail]:
    url, secret = body.get("webhook_url"), body.get("webhook_secret")
    errors = []
    if url is not None and not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        errors.append(_error("webhook_url", "URL scheme should be 'http' or 'https'", "url_scheme"))
    elif isinstance(url, str) and len(url) > MAX_WEBHOOK_URL:
        errors.append(_error("webhook_url", f"URL should have at most {MAX_WEBHOOK_URL} characters", "url_too_long"))
    if secret is not None and not isinstance(secret, str):
        errors.append(_error("webhook_secret", "Input should be a valid string", "string_type"))
    return errors


_OPTIONAL: dict[str, Callable[[str, object], Detail | None]] = {
    "seed": lambda f, v: None if _is_int(v) else _error(f, "Input should be a valid integer", "int_type"),
    "safety_tolerance": lambda f, v: _ranged(f, v, 0, 6, whole=True),
    "image_prompt_strength": lambda f, v: _ranged(f, v, 0, 1, whole=False),
    "steps": lambda f, v: _ranged(f, v, 1, 50, whole=True),
    "guidance": lambda f, v: _ranged(f, v, 1, 100, whole=False),
    "prompt_upsampling": lambda f, v: _boolean(f, v),
    "raw": lambda f, v: _boolean(f, v),
    "output_format": lambda f, v: _choice(f, v, ("jpeg", "png")),
    "aspect_ratio": lambda f, v: _aspect(v),
    **{name: _image for name in _IMAGE_FIELDS},
}  # fmt: skip
"""Checks of fields that may be left out (``null`` counts as left out, as BFL's models have it)."""


def _errors(model: str, body: Mapping[str, Any]) -> list[Detail]:
    errors = [e for e in [_prompt(model, body)] if e is not None]
    needed = _NEEDS.get(model)
    if needed is not None and body.get(needed) is None:
        errors.append(_error(needed, "Field required", "missing"))
    for field, check in _OPTIONAL.items():
        value = body.get(field)
        if value is not None and (found := check(field, value)) is not None:
            errors.append(found)
    if model in SIZED_MODELS:
        errors += [e for f in ("width", "height") if body.get(f) is not None and (e := _side(f, body[f])) is not None]
    return errors + _webhook(body)


def _size(model: str, body: Mapping[str, Any]) -> tuple[int, int] | None:
    if model not in SIZED_MODELS:
        return None
    return int(body.get("width") or DEFAULT_SIZE[0]), int(body.get("height") or DEFAULT_SIZE[1])


def parse_create(model: str, body: object) -> BflCreate:
    """The request, checked; :class:`InvalidFields` listing every field that is wrong."""
    if not isinstance(body, dict):
        raise InvalidFields([{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}])
    errors = _errors(model, body)
    if errors:
        raise InvalidFields(errors)
    forwarded = {key: value for key, value in body.items() if key not in ("webhook_url", "webhook_secret")}
    url, secret = body.get("webhook_url"), body.get("webhook_secret")
    return BflCreate(model, forwarded, price_names(model, _size(model, body)), url or None, secret or None)
