"""Untrusted bytes → an RGB Pillow image, refusing anything that is not a plain, reasonably sized picture.

Only the common web formats are tried (PNG, JPEG, WebP, GIF, BMP), so Pillow never hands the bytes to a
less audited decoder. The EXIF orientation is applied, so width and height are those a person sees.
Transparent pixels are laid on white; animations give their first frame.

Memory is bounded before any pixel is decoded. ``Image.open`` reads only the header; a JPEG is then
set to decode at 1/2 to 1/8 scale (``draft``: the decoder skips the detail, a 6300×6300 photo costs
what a 788×788 one does), and the size that will actually be decoded must fit ``max_pixels``, checked
per call (Pillow's own global limit stays as it is). That defeats decompression bombs too: a few kB of
PNG that would inflate to gigabytes is refused from its header. Once decoded, the picture is reduced
to a short side of 512-1023 px in its own mode before anything else is done with it, so no full-size
copy (RGB conversion, alpha compositing, 16-bit scaling) is ever made: the peak is the decoded picture
itself, at most about 4 bytes per pixel of ``max_pixels``.
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
MAX_PIXELS = 24_000_000
"""The default of ``local.max_image_pixels``: the most pixels decoded at full size."""
_WORKING_SIZE = 512  # larger pictures are reduced to about this short side; JPEGs already while decoding
_REDUCIBLE = frozenset({"L", "La", "PA", "RGB", "RGBa", "RGBX", "CMYK", "YCbCr", "I", "F"})
"""Modes ``Image.reduce`` (a box filter) takes without a full-size copy; the others are subsampled
(``"1"``, ``"P"``, 16-bit greys it refuses; ``"LA"`` and ``"RGBA"`` it would first premultiply, a copy)."""
_DECODE_COST = {"WEBP": 4}
"""Pillow decodes WebP through three more full-size buffers (about 16 bytes a pixel, not 4): it counts 4 times."""
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


def _too_large(width: int, height: int, limit: int, fmt: str) -> str:
    megapixels = f"{limit / 1_000_000:g} megapixels"
    return (
        f"The image is {width}×{height} pixels, more than the {megapixels} this service decodes for a {fmt} file "
        "(JPEGs are decoded at reduced size, so they may be larger). Send a smaller version or a JPEG; "
        "1-2 megapixels is plenty."
    )


def _open(data: bytes) -> Image.Image:
    """The image with only its header read."""
    if not data:
        raise NotAnImage("The image is empty: send the bytes of a PNG, JPEG, WebP, GIF or BMP file.")
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:  # Pillow's own limit, far above ours
        raise NotAnImage(f"The image is far too large to decode ({exc}). Send a smaller version.") from exc
    except _DECODE_ERRORS as exc:
        raise NotAnImage(
            "This is not an image that can be described: send a PNG, JPEG, WebP, GIF or BMP file."
        ) from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise NotAnImage("The image has no pixels.")
    return image


def _plan(image: Image.Image, max_pixels: int) -> None:
    """Set a JPEG to decode at reduced size; refuse what would still decode to more than ``max_pixels``."""
    if image.format == "JPEG":
        image.draft("RGB", (_WORKING_SIZE, _WORKING_SIZE))
    width, height = image.size  # after draft: what the decoder will produce
    limit = max_pixels // _DECODE_COST.get(image.format or "", 1)
    if width * height > limit:
        raise NotAnImage(_too_large(width, height, limit, image.format or "image"))


def _reduced(image: Image.Image) -> Image.Image:
    """A decoded picture brought to a short side of 512-1023 px, in its own mode (no full-size copy)."""
    factor = min(image.size) // _WORKING_SIZE
    if factor < 2:
        return image
    if image.mode in _REDUCIBLE:
        return image.reduce(factor)
    size = (max(1, image.width // factor), max(1, image.height // factor))
    return image.resize(size, Image.Resampling.NEAREST)


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


def decode(data: bytes, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """Decode, or raise :class:`NotAnImage` with a message a person can act on.

    ``max_pixels`` bounds the pixels decoded at full size (see the module's docstring)."""
    image = _open(data)
    width, height = image.size
    try:
        _plan(image, max_pixels)  # before getexif(), which decodes a whole PNG to find its EXIF
        if image.getexif().get(_ORIENTATION, 1) in _ROTATED:
            width, height = height, width
        image.load()
        rgb = _flatten(ImageOps.exif_transpose(_reduced(image)))
    except NotAnImage:
        raise
    except _DECODE_ERRORS as exc:
        raise NotAnImage(
            "The image could not be decoded: the file is damaged or truncated. Send the complete file."
        ) from exc
    return DecodedImage(rgb, width, height)
