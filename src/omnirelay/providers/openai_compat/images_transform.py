"""Pure functions between the gateway and an OpenAI-compatible ``/images/*`` API."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.providers.base import Usage

__all__ = [
    "ImageEntry",
    "ImagesAnswer",
    "decode_image",
    "form_fields",
    "images_usage",
    "read_images_answer",
    "sniff_image_type",
]


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One element of the answer's ``data``: the image inline (base64) or as a link."""

    b64: str | None
    url: str | None
    revised_prompt: str | None


@dataclass(frozen=True, slots=True)
class ImagesAnswer:
    created: int
    entries: tuple[ImageEntry, ...]
    extra: dict[str, Any]
    usage: Usage | None


def images_usage(usage: Any) -> Usage | None:
    """GPT image models report ``input_tokens``/``output_tokens`` (text and image tokens together)."""
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("input_tokens"), usage.get("output_tokens", 0)
    if prompt is None:
        return None
    return Usage.checked(prompt, completion)


def _entry(item: Any) -> ImageEntry | None:
    if not isinstance(item, dict):
        return None
    b64, url, revised = item.get("b64_json"), item.get("url"), item.get("revised_prompt")
    if isinstance(b64, str) and b64:
        return ImageEntry(b64, None, revised if isinstance(revised, str) else None)
    if isinstance(url, str) and url:
        return ImageEntry(None, url, revised if isinstance(revised, str) else None)
    return None


def read_images_answer(parsed: Any) -> ImagesAnswer | None:
    """The images of an ``ImagesResponse``, or None when the answer is not one."""
    if not isinstance(parsed, dict) or not isinstance(parsed.get("data"), list):
        return None
    entries = [_entry(item) for item in parsed["data"]]
    if any(entry is None for entry in entries):
        return None
    created = parsed.get("created")
    extra = {k: v for k, v in parsed.items() if k not in ("created", "data")}
    return ImagesAnswer(
        created=created if isinstance(created, int) else 0,
        entries=tuple(e for e in entries if e is not None),
        extra=extra,
        usage=images_usage(parsed.get("usage")),
    )


def decode_image(b64: str) -> bytes:
    """The bytes of a ``b64_json`` image; ValueError when it is not base64."""
    try:
        return base64.b64decode(b64, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"not base64: {exc}") from exc


_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image_type(data: bytes) -> str:
    """The media type an image's first bytes announce (``application/octet-stream`` when unknown)."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip()[:5] in (b"<svg ", b"<?xml"):
        return "image/svg+xml"
    return "application/octet-stream"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def form_fields(body: dict[str, Any]) -> list[tuple[str, str]]:
    """A multipart request's text fields: lists become repeated fields, ``None`` is left out."""
    fields: list[tuple[str, str]] = []
    for name, value in body.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, _text(item)))
    return fields
