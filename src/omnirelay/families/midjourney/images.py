"""Images in submit bodies: data URLs or bare base64, decoded, size-checked and sniffed.

Where a proxy also takes a link (``image`` of edits, retexture and video), an http(s) URL is
passed on for the upstream to fetch, once :func:`check_image_link` found it public: an
upstream fetching it must not become a way into the operator's network.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from omnirelay.errors import InvalidRequest, PayloadTooLarge
from omnirelay.webhooks.destinations import DestinationRefused, Network, check_destination

__all__ = ["check_image_link", "decode_image", "decode_images", "image_or_link"]

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
)


def _kind(data: bytes) -> str | None:
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def decode_image(value: object, field: str, limit: int) -> tuple[bytes, str]:
    """The image bytes and their kind (png, jpeg, ...), or a clear 400/413."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{field} must be a base64 image (a data URL or bare base64).", param=field)
    payload = value.strip()
    if payload.startswith("data:"):
        header, comma, payload = payload.partition(",")
        if not comma or ";base64" not in header:
            raise InvalidRequest(f"{field} is not a base64 data URL (data:image/png;base64,...).", param=field)
    if len(payload) * 3 // 4 > limit:
        raise PayloadTooLarge(f"{field} is larger than the {limit}-byte image limit.", param=field)
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest(f"{field} is not valid base64: {exc}.", param=field) from exc
    kind = _kind(data)
    if kind is None:
        raise InvalidRequest(f"{field} does not hold an image (PNG, JPEG, GIF, WEBP or BMP).", param=field)
    return data, kind


def decode_images(values: object, field: str, limit: int, *, least: int = 0, most: int = 5) -> list[tuple[bytes, str]]:
    if values is None:
        values = []
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise InvalidRequest(f"{field} must be an array of base64 images.", param=field)
    if not least <= len(values) <= most:
        raise InvalidRequest(f"{field} must hold {least} to {most} images, not {len(values)}.", param=field)
    return [decode_image(v, f"{field}[{i}]", limit) for i, v in enumerate(values)]


def image_or_link(value: object, field: str, limit: int) -> str | None:
    """An http(s) link to check with :func:`check_image_link`, or None after checking a base64 image."""
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        link = value.strip()
        if len(link) > 2048:
            raise InvalidRequest(f"{field} is a link longer than 2048 characters.", param=field)
        return link
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(
            f"{field} must be a base64 image (a data URL or bare base64) or an http(s) link.", param=field
        )
    decode_image(value, field, limit)
    return None


async def check_image_link(link: str, field: str, allowed: Sequence[Network]) -> None:
    """400 (code 4) unless every address of the link's host is public (or allow-listed)."""
    try:
        await check_destination(link, allowed)
    except DestinationRefused as exc:
        raise InvalidRequest(
            f"{field} must be a link to a public host (or a base64 image): {link!r} is not reachable "
            "or points at a private, loopback or link-local address.",
            param=field,
        ) from exc
