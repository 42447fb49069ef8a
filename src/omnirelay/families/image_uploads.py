"""Checking an image file a client uploads to a synchronous image vendor (multipart), before anything is held.

The file must be at most ``max_bytes`` and really be an image Pillow can read in one of the
formats the vendor takes: its declared content type is not trusted, the type sent upstream is
the one Pillow found.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from omnirelay.api.multipart import FormFile
from omnirelay.errors import InvalidRequest
from omnirelay.providers.base import ImageUpload

__all__ = ["FORMATS", "checked_image"]

FORMATS: dict[str, str] = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
"""Pillow format -> media type, of every format a vendor here takes."""


def _format(data: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            return image.format
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        return None


def checked_image(upload: FormFile, max_bytes: int, formats: tuple[str, ...] = ("PNG", "JPEG", "WEBP")) -> ImageUpload:
    """``upload`` as an image to forward; InvalidRequest (naming the field) when too large or not an image."""
    field = upload.name
    if len(upload.data) > max_bytes:
        raise InvalidRequest(f"'{field}' is larger than {max_bytes // (1024 * 1024)} MB.", param=field)
    found = _format(upload.data)
    if found is None or found not in formats:
        names = ", ".join(formats)
        raise InvalidRequest(f"'{field}' must be an image file ({names}).", param=field)
    return ImageUpload(field, upload.filename or f"{field}.{found.lower()}", FORMATS[found], upload.data)
