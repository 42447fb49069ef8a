"""Pure transforms between the Kling family's neutral terms and Kling's official wire (spec §3).

* A create goes to its kind's path with the body as the client sent it, ``model_name`` mapped
  by the channel's model map; the answer's ``data.task_id`` becomes the upstream id
  ``{kind}:{task id}:{access key}`` (a task is queried on its kind's path, with the key that made it).
* A query's ``data`` becomes an :class:`UpstreamState` (§0: submitted/processing/succeed/failed),
  its ``task_result`` kept as Kling gave it (upstream URLs: the family never shows them).
* An error answer ``{code, message, request_id}`` becomes an error of the one tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.families.kling.upstream import KINDS, KlingKind, KlingSubmit
from omnirelay.providers.video import VideoJob
from omnirelay.tasks.model import Status, UpstreamState

__all__ = [
    "AUTH_CODES",
    "PATHS",
    "UpstreamRequest",
    "accepted_id",
    "error_for",
    "parse_upstream_id",
    "parsed",
    "query_request",
    "state_from",
    "submit_request",
    "upstream_id",
    "video_submit",
]

PATHS: dict[str, str] = {
    "text2video": "/v1/videos/text2video",
    "image2video": "/v1/videos/image2video",
    "images": "/v1/images/generations",
}
AUTH_CODES = frozenset({1000, 1001, 1002, 1003, 1004})
"""Kling's 401 codes: the token (or the key behind it) was refused."""
_STATUSES = {
    "submitted": Status.SUBMITTED,
    "processing": Status.IN_PROGRESS,
    "succeed": Status.SUCCESS,
    "failed": Status.FAILURE,
}
_CHANNELS_TROUBLE = frozenset({1100, 1101, 1102, 1103, 1302, 1303, 1304})
"""Account abnormal, arrears, resource pack used up, no permission, too fast, over concurrency, IP
whitelist: another channel (another account) may take the task."""


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: Literal["GET", "POST"]
    path: str
    body: Mapping[str, Any] | None = None


def parsed(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def upstream_id(kind: KlingKind, task_id: str, access_key: str) -> str:
    return f"{kind}:{task_id}:{access_key}"


def parse_upstream_id(value: str) -> tuple[KlingKind, str, str] | None:
    """(kind, Kling task id, access key) of an upstream id, or None when it is not one of ours."""
    kind, _, rest = value.partition(":")
    task_id, _, access_key = rest.partition(":")
    for known in KINDS:
        if kind == known and task_id:
            return known, task_id, access_key
    return None


def submit_request(submit: KlingSubmit, upstream_model: str | None) -> UpstreamRequest:
    body = {key: value for key, value in submit.body.items() if key != "callback_url"}
    if upstream_model:
        body["model_name"] = upstream_model
    return UpstreamRequest("POST", PATHS[submit.kind], body)


def _aspect_ratio(size: str) -> str:
    width, _, height = size.partition("x")
    if not (width.isdigit() and height.isdigit()) or width == height:
        return "1:1"
    return "16:9" if int(width) > int(height) else "9:16"


def video_submit(job: VideoJob) -> KlingSubmit:
    """A common video job as Kling's create: image-to-video when it has a first frame, else text-to-video;
    a 5- or 10-second video (the shortest at least as long as asked), the size's aspect ratio."""
    body: dict[str, Any] = {"model_name": job.model}
    if job.prompt:
        body["prompt"] = job.prompt
    if job.seconds is not None:
        body["duration"] = "5" if job.seconds <= 5 else "10"
    if job.size:
        body["aspect_ratio"] = _aspect_ratio(job.size)
    if job.image:  # Kling takes an http(s) URL or raw base64 without the data: prefix
        body["image"] = job.image.partition("base64,")[2] if job.image.startswith("data:") else job.image
    body.update({k: v for k, v in job.extra.items() if k not in ("model_name", "callback_url")})
    return KlingSubmit("image2video" if job.image else "text2video", body)


def query_request(kind: KlingKind, task_id: str) -> UpstreamRequest:
    return UpstreamRequest("GET", f"{PATHS[kind]}/{task_id}")


def _data(envelope: Any) -> Any:
    if not isinstance(envelope, Mapping) or envelope.get("code") != 0:
        raise UpstreamError("the Kling upstream answered something that is not a success envelope")
    return envelope.get("data")


def accepted_id(envelope: Any) -> str:
    """The Kling task id a create's answer names."""
    data = _data(envelope)
    task_id = data.get("task_id") if isinstance(data, Mapping) else None
    if not isinstance(task_id, str | int) or isinstance(task_id, bool) or not str(task_id):
        raise UpstreamError("the Kling upstream accepted a create without answering its task_id")
    return str(task_id)


def _ms(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _result(data: Mapping[str, Any]) -> dict[str, Any]:
    result = data.get("task_result")
    if not isinstance(result, Mapping):
        return {}
    kept: dict[str, Any] = {}
    for key in ("videos", "images"):
        files = result.get(key)
        if isinstance(files, list):
            kept[key] = [dict(f) for f in files if isinstance(f, Mapping) and isinstance(f.get("url"), str)]
    return kept


def state_from(envelope: Any) -> UpstreamState | None:
    """The state a query answered, or None when it says nothing the engine can use."""
    data = _data(envelope)
    status = _STATUSES.get(str(data.get("task_status"))) if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or status is None:
        return None
    reason = str(data.get("task_status_msg") or "") or None
    if status == Status.FAILURE and reason is None:
        reason = "The upstream reported a failure without a reason."
    terminal = status in (Status.SUCCESS, Status.FAILURE)
    return UpstreamState(
        status=status,
        progress=50 if status == Status.IN_PROGRESS else 0,
        fail_reason=reason if status == Status.FAILURE else None,
        result=_result(data),
        finish_time=_ms(data.get("updated_at")) if terminal else None,
    )


def _fields(raw: bytes) -> tuple[str, int | None]:
    body = parsed(raw)
    if not isinstance(body, Mapping):
        return raw[:500].decode(errors="replace") or "no message", None
    code = body.get("code")
    message = body.get("message")
    return (str(message) if message else str(body)[:500]), (code if isinstance(code, int) else None)


def error_for(status: int, raw: bytes, channel: str) -> UpstreamError:
    """The error to raise for a Kling answer with HTTP ``status`` >= 400."""
    message, code = _fields(raw)
    if status == 401 or code in AUTH_CODES:
        return UpstreamAuthFailed(f"upstream {channel} refused the channel's key ({status}/{code}): {message}")
    if code in _CHANNELS_TROUBLE or status == 429 or status >= 500:
        return UpstreamError(f"upstream {channel} answered {status}/{code}: {message}", code=f"upstream_{status}")
    # the family answers its clients with Kling's own code, read back from ``kling_{code}``
    kind = f"kling_{code}" if code is not None else "upstream_rejected"
    return UpstreamRejected(message, status_code=status, type="invalid_request_error", code=kind, param=None)
