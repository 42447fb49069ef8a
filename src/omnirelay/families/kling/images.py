"""Checking an image a client gives Kling (``image``, ``image_tail``): a URL, or raw base64 of a real image.

Kling takes an ``http(s)`` URL (fetched by Kling, not by this gateway) or base64 without a
``data:`` prefix, at most 10 MB, at least 300 px a side, its sides at most 2.5 times one another.
A base64 image is decoded and opened here, so a client learns at once, and before anything is
held, that its file is not an image or too large.
"""

from __future__ import annotations

import base64
import binascii
import io
from urllib.parse import urlsplit

from PIL import Image, UnidentifiedImageError

from omnirelay.errors import InvalidRequest

__all__ = ["MAX_IMAGE_BYTES", "check_image"]

MAX_IMAGE_BYTES = 10 * 1024 * 1024
_MIN_SIDE = 300
_MAX_RATIO = 2.5


def _decoded(value: str, field: str) -> bytes:
    if value.startswith("data:"):
        raise InvalidRequest(f"{field} must be raw base64 without a data: prefix (or an http(s) URL).", param=field)
    if len(value) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
        raise InvalidRequest(f"{field} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", param=field)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest(f"{field} is neither an http(s) URL nor valid base64.", param=field) from exc


def _size(data: bytes, field: str) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidRequest(f"{field} is not an image Kling can read (JPEG or PNG).", param=field) from exc


def check_image(value: object, field: str, *, ratio: bool = True) -> None:
    """InvalidRequest unless ``value`` is an http(s) URL or base64 of an acceptable image."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{field} must be an image URL or base64 string.", param=field)
    if value.startswith(("http://", "https://")):
        if not urlsplit(value).hostname:
            raise InvalidRequest(f"{field} is not a valid URL.", param=field)
        return
    data = _decoded(value, field)
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidRequest(f"{field} is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB.", param=field)
    width, height = _size(data, field)
    if min(width, height) < _MIN_SIDE:
        raise InvalidRequest(f"{field} must be at least {_MIN_SIDE} px on each side ({width}x{height}).", param=field)
    if ratio and max(width, height) > _MAX_RATIO * min(width, height):
        raise InvalidRequest(f"{field}'s aspect ratio must be between 1:2.5 and 2.5:1 ({width}x{height}).", param=field)
