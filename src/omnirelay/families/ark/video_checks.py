"""Checking a Seedance create (spec §4.5) before anything is held: Ark's fields, Ark's limits.

``content`` is a list of items: ``text`` (the prompt; older models also read inline commands such as
``--rs 1080p --dur 10 --rt 16:9``), ``image_url`` (an http(s) or ``data:image`` URL; ``role``
``first_frame``, ``last_frame`` or ``reference_image``), ``video_url`` and ``audio_url``; at least
one text or image. What passes is forwarded as the client sent it, less ``callback_url`` (the
gateway delivers it itself, signed).

The price held is looked up by the resolution and duration asked for (the body's fields, else the
text's commands, else Ark's defaults: 1080p for ``seedance-1-0-pro``, 720p for the others; 5 s).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.ark.inputs import check_image_ref, check_int, check_text
from omnirelay.families.ark.pricing import video_price_names

__all__ = ["RATIOS", "RESOLUTIONS", "SeedanceCreate", "parse_video_create"]

RESOLUTIONS = ("480p", "720p", "1080p", "2k")
RATIOS = ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "adaptive", "keep_ratio")
ROLES = ("first_frame", "last_frame", "reference_image", "reference_video", "reference_audio")
_FLAGS = ("return_last_frame", "camera_fixed", "watermark", "generate_audio", "draft")
_MIN_S, _MAX_S = 2, 12
_MAX_ITEMS = 16
_COMMAND = re.compile(r"--(rs|resolution|dur|duration|rt|ratio)\s+(\S+)")
_MEDIA_ITEMS = {"video_url": "video", "audio_url": "audio"}


@dataclass(frozen=True, slots=True)
class SeedanceCreate:
    model: str
    body: dict[str, Any]
    """What goes upstream (no ``callback_url``)."""
    price_names: list[str]
    callback_url: str | None
    resolution: str
    duration: int


def _item(item: Any, n: int) -> str:
    """The item's type, checked."""
    where = f"content[{n}]"
    kind = item.get("type") if isinstance(item, Mapping) else None
    if kind == "text":
        check_text(item, "text", required=True)
    elif kind == "image_url":
        url = item.get("image_url")
        check_image_ref(url.get("url") if isinstance(url, Mapping) else None, f"{where}.image_url.url")
        if item.get("role") is not None and item.get("role") not in ROLES:
            raise InvalidRequest(f"{where}.role must be one of {', '.join(ROLES)}.", param=f"{where}.role")
    elif kind in _MEDIA_ITEMS:
        media = item.get(kind)
        url = media.get("url") if isinstance(media, Mapping) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise InvalidRequest(f"{where}.{kind}.url must be an http(s) URL.", param=f"{where}.{kind}")
    else:
        raise InvalidRequest(f"{where}.type must be text, image_url, video_url or audio_url.", param=where)
    return str(kind)


def _content(body: Mapping[str, Any]) -> str:
    """The prompt text (the text items joined)."""
    content = body.get("content")
    if not isinstance(content, list) or not 1 <= len(content) <= _MAX_ITEMS:
        raise InvalidRequest(f"content must be a list of 1 to {_MAX_ITEMS} items.", param="content")
    kinds = [_item(item, n) for n, item in enumerate(content)]
    if "text" not in kinds and "image_url" not in kinds:
        raise InvalidRequest("content needs a text prompt or an image.", param="content")
    return " ".join(str(i.get("text")) for i in content if isinstance(i, Mapping) and i.get("type") == "text")


def _choice(value: Any, field: str, allowed: tuple[str, ...]) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise InvalidRequest(f"{field} must be one of {', '.join(allowed)}.", param=field)
    return str(value)


def _commands(text: str) -> dict[str, str]:
    words = {"rs": "resolution", "dur": "duration", "rt": "ratio"}
    return {words.get(name, name): value for name, value in _COMMAND.findall(text)}


def _settings(model: str, body: Mapping[str, Any], text: str) -> tuple[str, int]:
    """(resolution, duration) the task asks for, checked."""
    commands = _commands(text)
    resolution = _choice(body.get("resolution", commands.get("resolution")), "resolution", RESOLUTIONS)
    _choice(body.get("ratio", commands.get("ratio")), "ratio", RATIOS)
    raw = body.get("duration", commands.get("duration"))
    if isinstance(raw, str) and raw.isdigit():
        raw = int(raw)
    duration = check_int(raw, "duration", _MIN_S, _MAX_S)
    return resolution or ("1080p" if "1-0-pro" in model else "720p"), duration or 5


def _options(body: Mapping[str, Any]) -> None:
    for flag in _FLAGS:
        if body.get(flag) is not None and not isinstance(body.get(flag), bool):
            raise InvalidRequest(f"{flag} must be true or false.", param=flag)
    check_int(body.get("seed"), "seed", -1, 2**31 - 1)
    check_int(body.get("frames"), "frames", 1, 10_000)
    check_int(body.get("execution_expires_after"), "execution_expires_after", 3600, 259_200)
    _choice(body.get("service_tier"), "service_tier", ("default", "flex"))


def _callback(body: Mapping[str, Any]) -> str | None:
    value = body.get("callback_url")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 2048 or not value.startswith(("http://", "https://")):
        raise InvalidRequest("callback_url must be an http(s) URL.", param="callback_url")
    return value


def parse_video_create(body: object) -> SeedanceCreate:
    """The create, checked; InvalidRequest naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model is required (e.g. doubao-seedance-1-0-pro-250528).", param="model")
    resolution, duration = _settings(model, body, _content(body))
    _options(body)
    callback = _callback(body)
    forwarded = {key: value for key, value in body.items() if key != "callback_url"}
    names = video_price_names(model, resolution, duration)
    return SeedanceCreate(model, forwarded, names, callback, resolution, duration)
