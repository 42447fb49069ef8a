"""Pure transforms between a vendor's configuration and its wire: requests out, states back.

* A submit renders ``submit.path`` and ``submit.body`` from the checked client fields; the answer's
  ``submit.task_id`` pointer is the upstream id.
* A poll answer's ``poll.status`` value is mapped through ``poll.statuses``; a value the mapping
  does not name says nothing (the task is left as it was). ``poll.result`` fields are read once
  the task succeeded: plain values into ``fields``, file URLs into ``files``.
* An error answer becomes an error of the one tree (4xx: the request's fault, relayed; 401/403:
  the channel's key; 429 and 5xx: the channel's trouble, failed over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.families.task_vendor.config import STATES, VendorConfig
from omnirelay.families.task_vendor.pointer import parse_pointer
from omnirelay.families.task_vendor.template import render_path, render_text, render_value
from omnirelay.tasks.model import Status, UpstreamState

__all__ = [
    "UpstreamRequest",
    "accepted_id",
    "auth_header",
    "cancel_request",
    "error_for",
    "parsed",
    "poll_request",
    "state_from",
    "submit_request",
]

_MESSAGE_KEYS = ("message", "msg", "error", "detail", "error_message")


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: str
    path: str
    body: Any = None


def parsed(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def auth_header(vendor: VendorConfig, secret: str) -> tuple[str, str]:
    return vendor.auth.header, render_text(vendor.auth.value, {"secret": secret})


def submit_request(vendor: VendorConfig, values: Mapping[str, Any]) -> UpstreamRequest:
    body = render_value(vendor.submit.body, values)
    return UpstreamRequest(vendor.submit.method, render_path(vendor.submit.path, values), body)


def poll_request(vendor: VendorConfig, upstream_id: str) -> UpstreamRequest:
    return UpstreamRequest(vendor.poll.method, render_path(vendor.poll.path, {"upstream_id": upstream_id}))


def cancel_request(vendor: VendorConfig, upstream_id: str) -> UpstreamRequest:
    assert vendor.cancel is not None
    values = {"upstream_id": upstream_id}
    body = render_value(vendor.cancel.body, values) if vendor.cancel.body else None
    return UpstreamRequest(vendor.cancel.method, render_path(vendor.cancel.path, values), body)


def accepted_id(vendor: VendorConfig, answer: Any) -> str:
    """The upstream task id the submit answer holds at ``submit.task_id``."""
    value = parse_pointer(vendor.submit.task_id).read(answer)
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value) or len(str(value)) > 100:
        raise UpstreamError(
            f"the {vendor.name} upstream accepted the task without a task id at {vendor.submit.task_id}"
        )
    return str(value)


def _progress(vendor: VendorConfig, answer: Any) -> int:
    if vendor.poll.progress is None:
        return 0
    value = parse_pointer(vendor.poll.progress).read(answer)
    if isinstance(value, str):
        try:
            value = float(value.rstrip("%"))
        except ValueError:
            return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return max(0, min(99, int(value * vendor.poll.progress_scale)))


def _result(vendor: VendorConfig, answer: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    files: dict[str, str] = {}
    for name, spec in vendor.poll.result.items():
        value = parse_pointer(spec.pointer).read(answer)
        if value is None:
            continue
        if spec.file:
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                files[name] = value
        else:
            fields[name] = value
    return {"fields": fields, "files": files}


def _reason(vendor: VendorConfig, answer: Any) -> str:
    value = parse_pointer(vendor.poll.fail_reason).read(answer) if vendor.poll.fail_reason else None
    if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value):
        return str(value)[:2000]
    return "The upstream reported a failure without a reason."


def state_from(vendor: VendorConfig, answer: Any) -> UpstreamState | None:
    """The state a poll answered, or None when its status is not one the vendor's mapping names."""
    raw = parse_pointer(vendor.poll.status).read(answer)
    state = vendor.poll.statuses.get(str(raw)) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if state is None:
        return None
    status = STATES[state]
    return UpstreamState(
        status=status,
        progress=_progress(vendor, answer),
        fail_reason=_reason(vendor, answer) if status == Status.FAILURE else None,
        result=_result(vendor, answer) if status == Status.SUCCESS else {},
    )


def _message(raw: bytes) -> str:
    body = parsed(raw)
    if isinstance(body, Mapping):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, Mapping):
                value = value.get("message")
            if isinstance(value, str) and value:
                return value[:500]
    return raw[:500].decode(errors="replace") or "no message"


def error_for(status: int, raw: bytes, channel: str) -> UpstreamError:
    """The error to raise for an answer with HTTP ``status`` >= 400."""
    message = _message(raw)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {channel} refused the channel's key ({status}): {message}")
    if status in (408, 409, 425, 429) or status >= 500:
        return UpstreamError(f"upstream {channel} answered {status}: {message}", code=f"upstream_{status}")
    return UpstreamRejected(
        message, status_code=status, type="invalid_request_error", code="upstream_rejected", param=None
    )
