"""Pure transforms of Ark's image generation (spec §4.4): the body sent, the answer read back.

The body goes as the family checked it, ``model`` mapped by the channel's model map and
``stream`` left out (this gateway answers images whole). The answer's ``data`` holds one entry per
image, a ``url`` (Ark's 24-hour link, downloaded by the adapter) or ``b64_json``, and maybe its
``size``; an entry with an ``error`` (a sequence image refused by moderation) is skipped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import UpstreamError
from omnirelay.providers.ark.request import UpstreamRequest

__all__ = ["IMAGES_PATH", "ImageEntry", "ImagesAnswer", "image_request", "images_answer"]

IMAGES_PATH = "/images/generations"


@dataclass(frozen=True, slots=True)
class ImageEntry:
    url: str | None
    data: bytes | None
    size: str | None


@dataclass(frozen=True, slots=True)
class ImagesAnswer:
    model: str | None
    created: int | None
    entries: tuple[ImageEntry, ...]
    usage: dict[str, int]


def image_request(body: Mapping[str, Any], upstream_model: str) -> UpstreamRequest:
    sent = {key: value for key, value in body.items() if key != "stream"}
    sent["model"] = upstream_model
    return UpstreamRequest("POST", IMAGES_PATH, sent)


def _entry(item: Any) -> ImageEntry | None:
    if not isinstance(item, Mapping) or item.get("error"):
        return None
    size = item.get("size") if isinstance(item.get("size"), str) else None
    url, b64 = item.get("url"), item.get("b64_json")
    if isinstance(b64, str) and b64:
        try:
            return ImageEntry(None, base64.b64decode(b64, validate=True), size)
        except (binascii.Error, ValueError) as exc:
            raise UpstreamError("the Ark upstream sent an image that is not base64") from exc
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return ImageEntry(url, None, size)
    return None


def _usage(answer: Mapping[str, Any]) -> dict[str, int]:
    usage = answer.get("usage")
    if not isinstance(usage, Mapping):
        return {}
    return {k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool) and v >= 0}


def images_answer(answer: Any) -> ImagesAnswer:
    """What an answer holds; UpstreamError when it is not an image answer at all."""
    if not isinstance(answer, Mapping) or not isinstance(answer.get("data"), list):
        raise UpstreamError("the Ark upstream answered something that is not an image generation")
    entries = tuple(e for e in map(_entry, answer["data"]) if e is not None)
    if not entries:
        raise UpstreamError("the Ark upstream answered without any image")
    model, created = answer.get("model"), answer.get("created")
    return ImagesAnswer(
        model if isinstance(model, str) else None,
        created if isinstance(created, int) and not isinstance(created, bool) else None,
        entries,
        _usage(answer),
    )
