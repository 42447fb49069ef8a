"""Field checks shared by Ark's image and video creates: text, whole numbers, numbers, image references.

An image reference is what Ark fetches or decodes itself: an ``http(s)`` URL (never fetched by
this gateway) or a ``data:image/<format>;base64,...`` URL whose payload is valid base64 of at most
10 MB. Every refusal is an :class:`~omnirelay.errors.InvalidRequest` naming the field.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from omnirelay.errors import InvalidRequest

__all__ = ["MAX_IMAGE_BYTES", "MAX_TEXT", "check_image_ref", "check_int", "check_number", "check_text"]

MAX_TEXT = 4000
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_DATA_URL = re.compile(r"data:image/([a-z0-9.+-]+);base64,(.*)", re.DOTALL)


def check_text(body: Mapping[str, Any], field: str, *, required: bool) -> str | None:
    value = body.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidRequest(f"{field} is required and must be a non-empty string.", param=field)
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"{field} must be at most {MAX_TEXT} characters.", param=field)
    return value


def check_int(value: Any, field: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(f"{field} must be a whole number from {low} to {high}.", param=field)
    return value


def check_number(value: Any, field: str, low: float, high: float) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InvalidRequest(f"{field} must be a number from {low:g} to {high:g}.", param=field)


def check_image_ref(value: Any, field: str) -> None:
    """InvalidRequest unless ``value`` is an http(s) URL or a base64 ``data:image/...`` URL."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{field} must be an image URL or a data:image/...;base64 URL.", param=field)
    if value.startswith(("http://", "https://")):
        if not urlsplit(value).hostname:
            raise InvalidRequest(f"{field} is not a valid URL.", param=field)
        return
    match = _DATA_URL.fullmatch(value)
    if match is None:
        raise InvalidRequest(f"{field} must be an http(s) URL or data:image/<format>;base64,<data>.", param=field)
    payload = match.group(2)
    if len(payload) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
        raise InvalidRequest(f"{field} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", param=field)
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest(f"{field} is not valid base64.", param=field) from exc
