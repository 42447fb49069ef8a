"""Checking a MiniMax create (``POST /v1/video_generation``, spec §5.2) before anything is held.

``model`` is required; ``prompt`` too unless a first frame or subject reference is given;
``duration`` a whole number of seconds, ``resolution`` one of MiniMax's. What passes goes upstream
as the client sent it (fields this gateway does not know included), less ``callback_url``
(the gateway delivers it itself, signed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.tasks.video_jobs import price_names

__all__ = ["RESOLUTIONS", "MiniMaxCreate", "parse_create"]

RESOLUTIONS = ("512P", "720P", "768P", "1080P")
MAX_PROMPT = 2000


@dataclass(frozen=True, slots=True)
class MiniMaxCreate:
    model: str
    prompt: str
    extra: dict[str, Any]
    """Every other field, as MiniMax takes it (no ``model``, ``prompt`` or ``callback_url``)."""
    price_names: list[str]
    callback_url: str | None
    duration: str | None
    resolution: str | None


def _model(body: Mapping[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model is required, e.g. MiniMax-Hailuo-02.", param="model")
    return model


def _prompt(body: Mapping[str, Any]) -> str:
    prompt = body.get("prompt")
    framed = body.get("first_frame_image") or body.get("subject_reference")
    if prompt is None and framed:
        return ""
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > MAX_PROMPT:
        raise InvalidRequest(
            f"prompt is required: a non-empty string of at most {MAX_PROMPT} characters.", param="prompt"
        )
    return prompt


def _duration(body: Mapping[str, Any]) -> str | None:
    value = body.get("duration")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 60:
        raise InvalidRequest("duration must be a whole number of seconds, e.g. 6 or 10.", param="duration")
    return str(value)


def _resolution(body: Mapping[str, Any]) -> str | None:
    value = body.get("resolution")
    if value is None:
        return None
    if value not in RESOLUTIONS:
        raise InvalidRequest(f"resolution must be one of {', '.join(RESOLUTIONS)}.", param="resolution")
    return str(value)


def _callback(body: Mapping[str, Any]) -> str | None:
    value = body.get("callback_url")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 2048 or not value.startswith(("http://", "https://")):
        raise InvalidRequest("callback_url must be an http(s) URL.", param="callback_url")
    return value


def _image(body: Mapping[str, Any], field: str) -> None:
    value = body.get(field)
    if value is not None and (not isinstance(value, str) or not value.startswith(("http://", "https://", "data:"))):
        raise InvalidRequest(f"{field} must be an http(s) URL or a data: URL.", param=field)


def parse_create(body: object) -> MiniMaxCreate:
    """The create, checked; InvalidRequest (MiniMax's 2013) naming the first field that is wrong."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("The request body must be a JSON object.")
    model, prompt = _model(body), _prompt(body)
    duration, resolution = _duration(body), _resolution(body)
    _image(body, "first_frame_image")
    _image(body, "last_frame_image")
    callback = _callback(body)
    extra = {k: v for k, v in body.items() if k not in ("model", "prompt", "callback_url")}
    return MiniMaxCreate(model, prompt, extra, price_names(model, resolution, duration), callback, duration, resolution)
