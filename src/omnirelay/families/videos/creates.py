"""Checking a ``POST /v1/videos`` (spec §5.1) before anything is held.

The fields are OpenAI's, from a multipart form (what the official SDK always sends) or JSON:

* ``prompt`` (required), ``model`` (``sora-2`` by default: the operator's channels decide what it is);
* ``seconds``: a string (JSON may send a number), one of :data:`SECONDS`: OpenAI's 4/8/12 and the
  lengths video vendors make (5, 6, 10); each upstream makes the shortest it can that is at least as long;
* ``size``: one of :data:`SIZES` (``WxH``); each upstream maps it to its resolution or aspect ratio;
* ``input_reference``: a first frame, an image file part, or JSON ``{"image_url": url-or-data-url}``
  (``{"file_id"}`` is refused: uploaded files are not read back for it);
* ``metadata``: an object of the upstream vendor's own fields, passed on as they are (a JSON string
  in a form). Other keys are tolerated and ignored.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.errors import InvalidRequest

__all__ = ["MAX_IMAGE_BYTES", "SECONDS", "SIZES", "ImagePart", "VideoCreate", "parse_create"]

SECONDS = ("4", "5", "6", "8", "10", "12")
SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024", "1080x1920", "1920x1080")
MAX_PROMPT = 10_000
MAX_IMAGE_BYTES = 10 * 1024 * 1024
_IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


@dataclass(frozen=True, slots=True)
class ImagePart:
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class VideoCreate:
    model: str
    prompt: str
    seconds: str | None
    size: str | None
    image: str | None
    """An http(s) URL or a ``data:`` URL."""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _prompt(body: Mapping[str, Any]) -> str:
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise InvalidRequest("prompt is required and must be a non-empty string.", param="prompt")
    if len(prompt) > MAX_PROMPT:
        raise InvalidRequest(f"prompt must be at most {MAX_PROMPT} characters.", param="prompt")
    return prompt


def _choice(body: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value not in allowed:
        raise InvalidRequest(f"{name} must be one of {', '.join(repr(a) for a in allowed)}.", param=name)
    return str(value)


def _model(body: Mapping[str, Any]) -> str:
    model = body.get("model", "sora-2")
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequest("model must be a model name.", param="model")
    return model


def _image_url(reference: Any) -> str | None:
    if reference is None or reference == "":
        return None
    if isinstance(reference, str):
        reference = _json(reference, "input_reference")
    if (
        not isinstance(reference, Mapping)
        or len(reference) != 1
        or not ("image_url" in reference or "file_id" in reference)
    ):
        raise InvalidRequest('input_reference must be {"image_url": ...} or an image file.', param="input_reference")
    url = reference.get("image_url")
    if not isinstance(url, str) or not url.startswith(("https://", "http://", "data:image/")):
        raise InvalidRequest(
            "input_reference.image_url must be an http(s) URL or a data:image URL (file_id is not supported).",
            param="input_reference",
        )
    return url


def _file_image(part: ImagePart) -> str:
    kind = part.content_type.split(";")[0].strip().lower()
    if kind not in _IMAGE_TYPES:
        raise InvalidRequest("input_reference must be a JPEG, PNG or WebP image.", param="input_reference")
    if len(part.data) > MAX_IMAGE_BYTES:
        raise InvalidRequest("input_reference is larger than 10 MB.", param="input_reference")
    return f"data:{kind};base64,{base64.b64encode(part.data).decode()}"


def _json(text: str, name: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"{name} must be JSON.", param=name) from exc


def _metadata(body: Mapping[str, Any]) -> Mapping[str, Any]:
    value = body.get("metadata")
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        value = _json(value, "metadata")
    if not isinstance(value, Mapping):
        raise InvalidRequest("metadata must be an object of the upstream's own fields.", param="metadata")
    return dict(value)


def parse_create(body: object, image: ImagePart | None = None) -> VideoCreate:
    """The create, checked; InvalidRequest naming the first field that is wrong."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("The request body must be a JSON object or a multipart form.")
    prompt = _prompt(body)
    seconds, size = _choice(body, "seconds", SECONDS), _choice(body, "size", SIZES)
    url = _file_image(image) if image is not None else _image_url(body.get("input_reference"))
    return VideoCreate(_model(body), prompt, seconds, size, url, _metadata(body))
