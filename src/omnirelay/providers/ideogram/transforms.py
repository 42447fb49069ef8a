"""Pure transforms between the Ideogram family's calls and Ideogram's official wire (spec §4.2).

* A call goes to its operation's path as the client sent it, the model it names mapped by the
  channel's model map (``image_request.model`` of ``/generate`` and ``/remix``, the ``model``
  field of ``/edit``); the V3 API, ``/upscale`` and ``/describe`` name no model.
* An answer ``{"created", "data": [{..., "url"}]}`` becomes its entries and their links (the
  links are downloaded by the I/O shell, never shown); ``{"descriptions": [{"text"}]}`` the texts.
* An error answer becomes an error of the one tree: 401/403 the channel's key (the channel is
  disabled), 429/5xx the upstream's trouble (another channel is tried), other 4xx the request's
  own fault relayed with its status (422: it failed the upstream's safety check).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.families.ideogram.upstream import IdeogramCall, upstream_path
from omnirelay.providers.vendor_post import VendorRequest

__all__ = ["IdeogramAnswer", "VendorRequest", "error_for", "read_answer", "upstream_request"]


@dataclass(frozen=True, slots=True)
class IdeogramAnswer:
    created: str
    entries: tuple[tuple[dict[str, Any], str | None], ...] = ()
    """Each entry's fields without ``url``, and its ``url`` (None when it has none)."""
    descriptions: tuple[str, ...] = ()


def _with_model(image_request: Any, model: str) -> dict[str, Any]:
    return {**(image_request if isinstance(image_request, Mapping) else {}), "model": model}


def _field(name: str, value: str, model: str) -> str:
    if name == "model":
        return model
    if name == "image_request":
        return orjson.dumps(_with_model(orjson.loads(value), model)).decode()
    return value


def upstream_request(call: IdeogramCall, upstream_model: str | None) -> VendorRequest:
    """The request to send for ``call``; ``upstream_model``: the channel's name for ``call.model``."""
    path = upstream_path(call.operation)
    if call.json is not None:
        body = dict(call.json)
        if upstream_model is not None:
            body["image_request"] = _with_model(body.get("image_request"), upstream_model)
        return VendorRequest(path, body)
    fields = call.fields
    if upstream_model is not None:
        fields = tuple((name, _field(name, value, upstream_model)) for name, value in fields)
        if call.operation == "edit" and all(name != "model" for name, _ in fields):
            fields = (*fields, ("model", upstream_model))
    return VendorRequest(path, None, fields, call.files)


def _entry(item: Any) -> tuple[dict[str, Any], str | None] | None:
    if not isinstance(item, dict):
        return None
    url = item.get("url")
    return {k: v for k, v in item.items() if k != "url"}, url if isinstance(url, str) and url else None


def read_answer(answer: Any) -> IdeogramAnswer | None:
    """A 200 answer's content; None when it is not Ideogram's shape."""
    if not isinstance(answer, dict):
        return None
    descriptions = answer.get("descriptions")
    if isinstance(descriptions, list):
        texts = tuple(d["text"] for d in descriptions if isinstance(d, dict) and isinstance(d.get("text"), str))
        return IdeogramAnswer(str(answer.get("created") or ""), descriptions=texts) if texts else None
    data = answer.get("data")
    if not isinstance(data, list):
        return None
    entries = [_entry(item) for item in data]
    if any(entry is None for entry in entries):
        return None
    return IdeogramAnswer(str(answer.get("created") or ""), tuple(e for e in entries if e is not None))


def _message(raw: bytes) -> str:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw[:500].decode(errors="replace") or "no message"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if value:
                return orjson.dumps(value).decode()[:500]
    return str(body)[:500]


def error_for(status: int, raw: bytes, hint: str) -> UpstreamError:
    """The error to raise for a non-2xx answer (the gate decides on failover by its type)."""
    message = _message(raw)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {hint} refused the channel's key ({status}): {message}")
    if status in (408, 429) or status >= 500:
        return UpstreamError(f"upstream {hint} answered {status}: {message}", code=f"upstream_{status}")
    code = "safety_check_failed" if status == 422 else "upstream_rejected"
    return UpstreamRejected(message, status_code=status, type="invalid_request_error", code=code, param=None)
