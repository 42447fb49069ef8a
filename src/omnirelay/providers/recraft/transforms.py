"""Pure transforms between the Recraft family's calls and Recraft's official wire (spec §4.3).

* A call goes to ``/images/{operation}`` as the client sent it, with the model it was billed as
  (named or the default) mapped by the channel's model map; the operations that process one
  image name no model.
* An answer ``{"created", "credits", "data": [{"image_id", "url" | "b64_json"}]}`` or
  ``{..., "image": {...}}`` becomes its images' ids and links (downloaded by the I/O shell,
  never shown) or inline bytes.
* A custom style (``/styles``) is a form with ``style`` and the reference images; its answer ``{"id"}``.
* An error answer (``{"code", "message"}``, or an OpenAI-like ``{"error": {...}}``) becomes an error
  of the one tree: 401/403 the channel's key (the channel is disabled), 429/5xx the upstream's
  trouble (another channel is tried), other 4xx the request's own fault, relayed with its status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.families.recraft.upstream import RecraftCall, StyleCall
from omnirelay.providers.vendor_post import VendorRequest

__all__ = [
    "AnsweredImage",
    "RecraftAnswer",
    "VendorRequest",
    "error_for",
    "read_answer",
    "read_style",
    "style_request",
    "upstream_request",
]


@dataclass(frozen=True, slots=True)
class AnsweredImage:
    image_id: str | None
    url: str | None
    b64: str | None


@dataclass(frozen=True, slots=True)
class RecraftAnswer:
    created: int
    images: tuple[AnsweredImage, ...]


def upstream_request(call: RecraftCall, upstream_model: str | None) -> VendorRequest:
    """The request to send for ``call``; ``upstream_model``: the channel's name for ``call.model``."""
    path = f"/images/{call.operation}"
    if call.json is not None:
        body = dict(call.json)
        if upstream_model is not None:
            body["model"] = upstream_model
        return VendorRequest(path, body)
    fields = call.fields
    if upstream_model is not None:
        fields = tuple((name, value) for name, value in fields if name != "model") + (("model", upstream_model),)
    return VendorRequest(path, None, fields, call.files)


def style_request(call: StyleCall) -> VendorRequest:
    """``POST /styles``: a form with the base ``style`` and the reference images under their own names."""
    return VendorRequest("/styles", None, (("style", call.style),), call.files)


def read_style(answer: Any) -> str | None:
    """The new style's id from a ``/styles`` answer (``{"id": "<uuid>"}``); None when it is not that shape."""
    style_id = answer.get("id") if isinstance(answer, dict) else None
    return style_id if isinstance(style_id, str) and style_id else None


def _image(item: Any) -> AnsweredImage | None:
    if not isinstance(item, dict):
        return None
    url, b64, image_id = item.get("url"), item.get("b64_json"), item.get("image_id")
    url = url if isinstance(url, str) and url else None
    b64 = b64 if isinstance(b64, str) and b64 else None
    if url is None and b64 is None:
        return None
    return AnsweredImage(str(image_id) if image_id is not None else None, url, b64)


def read_answer(answer: Any) -> RecraftAnswer | None:
    """A 200 answer's images; None when it is not Recraft's shape (or holds no image)."""
    if not isinstance(answer, dict):
        return None
    items = answer.get("data") if "data" in answer else [answer.get("image")]
    if not isinstance(items, list) or not items:
        return None
    images = [_image(item) for item in items]
    if any(image is None for image in images):
        return None
    created = answer.get("created")
    stamp = created if isinstance(created, int) and not isinstance(created, bool) else 0
    return RecraftAnswer(stamp, tuple(image for image in images if image is not None))


def _message(raw: bytes) -> tuple[str, str | None]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:500].decode(errors="replace") or "no message", None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]
    if not isinstance(body, dict):
        return str(body)[:500], None
    code = body.get("code")
    message = body.get("message") or body.get("detail") or body.get("error") or "no message"
    return str(message)[:500], str(code) if code is not None else None


def error_for(status: int, raw: bytes, hint: str) -> UpstreamError:
    """The error to raise for a non-2xx answer (the gate decides on failover by its type)."""
    message, code = _message(raw)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {hint} refused the channel's key ({status}): {message}")
    if status in (408, 429) or status >= 500:
        return UpstreamError(f"upstream {hint} answered {status}: {message}", code=f"upstream_{status}")
    return UpstreamRejected(message, status_code=status, type="invalid_request_error", code=code, param=None)
