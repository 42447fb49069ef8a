"""Checking a Kling create (spec §3.1) before anything is held: Kling's own fields, Kling's own limits.

What passes is forwarded as the client sent it (fields this gateway does not know included),
less ``callback_url`` (the gateway delivers it itself, signed). Defaults are Kling's: model
``kling-v1``, mode ``std``, duration ``"5"``, resolution ``1k``, one image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.kling.images import check_image
from omnirelay.families.kling.pricing import image_price_names, video_price_names
from omnirelay.families.kling.upstream import KlingKind

__all__ = ["KlingCreate", "parse_create"]

MAX_TEXT = 2500
VIDEO_ASPECTS = ("16:9", "9:16", "1:1")
IMAGE_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9")
CAMERA_TYPES = ("simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward")
_MAX_EXTERNAL_ID = 128


@dataclass(frozen=True, slots=True)
class KlingCreate:
    kind: KlingKind
    model: str
    body: dict[str, Any]
    """What goes upstream (no ``callback_url``)."""
    price_names: list[str]
    calls: int
    callback_url: str | None
    external_task_id: str | None
    mode: str | None = None
    """Videos: ``std`` or ``pro``."""
    duration: str | None = None
    """Videos: ``"5"`` or ``"10"`` (seconds asked for)."""


def _text(body: Mapping[str, Any], field: str, *, required: bool) -> None:
    value = body.get(field)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidRequest(f"{field} is required and must be a non-empty string.", param=field)
    if len(value) > MAX_TEXT:
        raise InvalidRequest(f"{field} must be at most {MAX_TEXT} characters.", param=field)


def _choice(body: Mapping[str, Any], field: str, allowed: tuple[str, ...], default: str) -> str:
    value = body.get(field, default)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value not in allowed:
        raise InvalidRequest(f"{field} must be one of {', '.join(allowed)}.", param=field)
    return str(value)


def _unit(body: Mapping[str, Any], field: str) -> None:
    value = body.get(field)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1):
        raise InvalidRequest(f"{field} must be a number from 0 to 1.", param=field)


def _camera(body: Mapping[str, Any]) -> None:
    camera = body.get("camera_control")
    if camera is None:
        return
    if not isinstance(camera, Mapping) or camera.get("type") not in CAMERA_TYPES:
        raise InvalidRequest(f"camera_control.type must be one of {', '.join(CAMERA_TYPES)}.", param="camera_control")


def _optional_string(body: Mapping[str, Any], field: str, limit: int) -> str | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidRequest(f"{field} must be a string of at most {limit} characters.", param=field)
    return value


def _model(body: Mapping[str, Any]) -> str:
    model = body.get("model_name", body.get("model", "kling-v1"))
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model_name must be a model name such as kling-v1.", param="model_name")
    return model


def _video(kind: KlingKind, body: dict[str, Any]) -> tuple[str, str]:
    _text(body, "prompt", required=kind == "text2video")
    if kind == "image2video":
        check_image(body.get("image"), "image")
        if body.get("image_tail") is not None:
            check_image(body.get("image_tail"), "image_tail")
    _unit(body, "cfg_scale")
    _camera(body)
    _choice(body, "aspect_ratio", VIDEO_ASPECTS, "16:9")
    _choice(body, "sound", ("on", "off"), "off")
    mode = _choice(body, "mode", ("std", "pro"), "std")
    duration = _choice(body, "duration", ("5", "10"), "5")
    if "duration" in body:
        body["duration"] = duration  # Kling takes a string; clients often send 5 or 10
    return mode, duration


def _images(body: Mapping[str, Any]) -> tuple[list[str], int]:
    _text(body, "prompt", required=True)
    if body.get("image") is not None:
        check_image(body.get("image"), "image", ratio=False)
    _choice(body, "image_reference", ("subject", "face"), "subject")
    _unit(body, "image_fidelity")
    _unit(body, "human_fidelity")
    _choice(body, "aspect_ratio", IMAGE_ASPECTS, "16:9")
    resolution = _choice(body, "resolution", ("1k", "2k"), "1k")
    n = body.get("n", 1)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 9:
        raise InvalidRequest("n must be a whole number from 1 to 9.", param="n")
    return image_price_names(_model(body), resolution), n


def parse_create(kind: KlingKind, body: object) -> KlingCreate:
    """The create, checked; InvalidRequest (Kling's 1201) naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    _text(body, "negative_prompt", required=False)
    mode = duration = None
    if kind == "images":
        names, calls = _images(body)
    else:
        mode, duration = _video(kind, body)
        names, calls = video_price_names(_model(body), mode, duration), 1
    callback = _optional_string(body, "callback_url", 2048)
    if callback is not None and not callback.startswith(("http://", "https://")):
        raise InvalidRequest("callback_url must be an http(s) URL.", param="callback_url")
    external = _optional_string(body, "external_task_id", _MAX_EXTERNAL_ID)
    forwarded = {key: value for key, value in body.items() if key not in ("callback_url", "model")}
    forwarded["model_name"] = _model(body)
    return KlingCreate(kind, _model(body), forwarded, names, calls, callback, external, mode, duration)
