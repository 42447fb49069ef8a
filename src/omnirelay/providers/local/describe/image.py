"""Untrusted bytes → an RGB Pillow image, refusing anything that is not a plain, reasonably sized picture.

Only the common web formats are tried (PNG, JPEG, WebP, GIF, BMP), so Pillow never hands the bytes to a
less audited decoder. The pixel count is read from the header and checked *before* decoding, which defeats
decompression bombs (a few kB of PNG that would inflate to gigabytes). The EXIF orientation is applied, so
width and height are those a person sees. Transparent pixels are laid on white; animations give their
first frame.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from omnirelay.errors import InvalidRequest

__all__ = ["FORMATS", "MAX_PIXELS", "DecodedImage", "NotAnImage", "decode"]

FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
MAX_PIXELS = 40_000_000
_WORKING_SIZE = 512  # larger pictures are reduced to about this short side; JPEGs already while decoding
_ORIENTATION = 0x0112  # EXIF tag; values 5-8 turn the picture by a quarter
_ROTATED = (5, 6, 7, 8)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


class NotAnImage(InvalidRequest, ValueError):
    """The bytes are not an image the describe model can read. The message says what to send instead."""


@dataclass(frozen=True)
class DecodedImage:
    rgb: Image.Image  # reduced to a short side of 512-1023 px when the original is larger
    width: int  # of the original, after EXIF rotation
    height: int


def _too_large(start: str) -> str:
    return (
        f"{start} more than the {MAX_PIXELS // 1_000_000} megapixels this service describes. "
        "Send a smaller version; 1-2 megapixels is plenty."
    )


def _open(data: bytes) -> Image.Image:
    if not data:
        raise NotAnImage("The image is empty: send the bytes of a PNG, JPEG, WebP, GIF or BMP file.")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise NotAnImage(_too_large("The image is")) from exc
    except _DECODE_ERRORS as exc:
        raise NotAnImage(
            "This is not an image that can be described: send a PNG, JPEG, WebP, GIF or BMP file."
        ) from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise NotAnImage("The image has no pixels.")
    if width * height > MAX_PIXELS:
        raise NotAnImage(_too_large(f"The image is {width}×{height} pixels,"))
    return image


def _flatten(image: Image.Image) -> Image.Image:
    """Any mode → RGB; transparency over white, 16-bit and float greys scaled to 8 bits."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        grey = np.asarray(image, dtype=np.float64)
        top = 65535.0 if grey.max(initial=0.0) > 255 else 255.0
        image = Image.fromarray(np.clip(grey * (255.0 / top), 0, 255).astype(np.uint8), "L")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def decode(data: bytes) -> DecodedImage:
    """Decode, or raise :class:`NotAnImage` with a message a person can act on."""
    image = _open(data)
    width, height = image.size
    try:
        if image.getexif().get(_ORIENTATION, 1) in _ROTATED:
            width, height = height, width
        if image.format == "JPEG":
            image.draft("RGB", (_WORKING_SIZE, _WORKING_SIZE))
        image.load()
        rgb = _flatten(ImageOps.exif_transpose(image))
        if min(rgb.size) >= 2 * _WORKING_SIZE:
            rgb = rgb.reduce(min(rgb.size) // _WORKING_SIZE)
    except _DECODE_ERRORS as exc:
        raise NotAnImage(
            "The image could not be decoded: the file is damaged or truncated. Send the complete file."
        ) from exc
    return DecodedImage(rgb, width, height)
