"""Pure transforms between vendor-neutral video jobs and MiniMax's v1 video wire (spec §5.2).

MiniMax's flow has three steps: a create answers a ``task_id``; a query answers the task's
``status`` (``Preparing``, ``Queueing``, ``Processing``, ``Success``, ``Fail``) and, once it
succeeded, a ``file_id``; the file's ``download_url`` comes from ``/v1/files/retrieve``.
Every answer is HTTP 200 with ``base_resp: {status_code, status_msg}``: a non-zero code is an error.

* The upstream id of a task is ``{task_id}:{key fingerprint}``: a task is queried with the key that made it.
* Codes: 1004/2049 the key was refused (the channel is disabled); 1000/1001/1002/1008/1013/1039
  the channel's trouble (another channel may take the task); any other code (1026 sensitive
  content, 2013 bad parameters...) the request's own fault, kept as ``minimax_{code}``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.video import VIDEOS_KEY, VideoJob
from omnirelay.tasks.model import Status, UpstreamState

__all__ = [
    "AUTH_CODES",
    "UpstreamRequest",
    "accepted_task_id",
    "checked",
    "create_request",
    "download_url",
    "duration_for",
    "error_for",
    "file_request",
    "fingerprint",
    "parse_upstream_id",
    "parsed",
    "query_request",
    "resolution_for",
    "state_from",
    "upstream_id",
    "with_video",
]

AUTH_CODES = frozenset({1004, 2049})
CHANNEL_TROUBLE = frozenset({1000, 1001, 1002, 1008, 1013, 1039})
"""Unknown error, timeout, rate limit, balance too low, internal error, token limit: not the request's fault."""
_STATUSES = {
    "Preparing": (Status.SUBMITTED, 0),
    "Queueing": (Status.SUBMITTED, 5),
    "Processing": (Status.IN_PROGRESS, 50),
    "Success": (Status.SUCCESS, 100),
    "Fail": (Status.FAILURE, 0),
}
_HIGH_RES_MODELS = ("MiniMax-Hailuo-02", "MiniMax-Hailuo-2.3")
"""Models whose 720p-class output is MiniMax's ``768P`` (older models make ``720P``)."""


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: Literal["GET", "POST"]
    path: str
    body: Mapping[str, Any] | None = None


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def upstream_id(task_id: str, secret: str) -> str:
    return f"{task_id}:{fingerprint(secret)}"


def parse_upstream_id(value: str) -> tuple[str, str] | None:
    """(MiniMax task id, key fingerprint), or None when ``value`` is not one of ours."""
    task_id, _, key = value.partition(":")
    return (task_id, key) if task_id else None


def duration_for(seconds: int) -> int:
    """MiniMax makes 6- or 10-second videos: the shortest that is at least as long as asked (10 at most)."""
    return 6 if seconds <= 6 else 10


def resolution_for(model: str, size: str) -> str:
    """MiniMax's ``resolution`` for an OpenAI ``WxH`` size: by its shorter side."""
    width, _, height = size.partition("x")
    short = min(int(width), int(height)) if width.isdigit() and height.isdigit() else 720
    if short >= 1024:
        return "1080P"
    return "768P" if model.startswith(_HIGH_RES_MODELS) else "720P"


def create_request(job: VideoJob) -> UpstreamRequest:
    """``POST /v1/video_generation``: the job's common fields, then the client's own MiniMax fields."""
    body: dict[str, Any] = {"model": job.model}
    if job.prompt:
        body["prompt"] = job.prompt
    if job.seconds is not None:
        body["duration"] = duration_for(job.seconds)
    if job.size:
        body["resolution"] = resolution_for(job.model, job.size)
    if job.image:
        body["first_frame_image"] = job.image
    body.update({k: v for k, v in job.extra.items() if k not in ("model", "callback_url")})
    return UpstreamRequest("POST", "/v1/video_generation", body)


def query_request(task_id: str) -> UpstreamRequest:
    return UpstreamRequest("GET", f"/v1/query/video_generation?task_id={task_id}")


def file_request(file_id: str) -> UpstreamRequest:
    return UpstreamRequest("GET", f"/v1/files/retrieve?file_id={file_id}")


def parsed(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def error_for(code: int, message: str, channel: str) -> UpstreamError:
    """The error of the one tree for a ``base_resp`` code that is not 0."""
    text = f"upstream {channel} answered base_resp {code}: {message}"
    if code in AUTH_CODES:
        return UpstreamAuthFailed(text)
    if code in CHANNEL_TROUBLE:
        return UpstreamError(text, code=f"upstream_{code}")
    return UpstreamRejected(message, status_code=400, type="invalid_request_error", code=f"minimax_{code}", param=None)


def _base_resp(answer: Mapping[str, Any]) -> tuple[int, str]:
    base = answer.get("base_resp")
    if not isinstance(base, Mapping):
        return 0, ""
    code = base.get("status_code", 0)
    return (code if isinstance(code, int) else -1), str(base.get("status_msg") or "")


def checked(raw: bytes, channel: str) -> Mapping[str, Any]:
    """An answer's JSON object when its ``base_resp`` says success; the error it names otherwise."""
    answer = parsed(raw)
    if not isinstance(answer, Mapping):
        raise UpstreamError(f"upstream {channel} answered something that is not a MiniMax JSON object")
    code, message = _base_resp(answer)
    if code != 0:
        raise error_for(code, message or "no message", channel)
    return answer


def accepted_task_id(answer: Mapping[str, Any]) -> str:
    task_id = answer.get("task_id")
    if not isinstance(task_id, str | int) or isinstance(task_id, bool) or not str(task_id):
        raise UpstreamError("the MiniMax upstream accepted a create without answering its task_id")
    return str(task_id)


def _dimension(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def state_from(answer: Any) -> tuple[UpstreamState | None, str | None]:
    """The state a query answered (None: nothing the engine can use), and the ``file_id`` to resolve
    when it succeeded (the state then still lacks its ``videos``: see :func:`with_video`)."""
    if not isinstance(answer, Mapping):
        return None, None
    found = _STATUSES.get(str(answer.get("status")))
    if found is None:
        return None, None
    status, progress = found
    if status == Status.FAILURE:
        code, message = _base_resp(answer)
        reason = message if code != 0 and message else "The upstream reported a failure without a reason."
        return UpstreamState(status=status, progress=0, fail_reason=reason), None
    if status != Status.SUCCESS:
        return UpstreamState(status=status, progress=progress), None
    file_id = answer.get("file_id")
    if not isinstance(file_id, str | int) or isinstance(file_id, bool) or not str(file_id):
        return None, None
    video: dict[str, Any] = {}
    for field, key in (("video_width", "width"), ("video_height", "height")):
        if (value := _dimension(answer.get(field))) is not None:
            video[key] = value
    return UpstreamState(status=status, progress=100, result={VIDEOS_KEY: [video]}), str(file_id)


def download_url(answer: Mapping[str, Any]) -> str:
    """The ``download_url`` a ``files/retrieve`` answer names."""
    file = answer.get("file")
    url = file.get("download_url") if isinstance(file, Mapping) else None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise UpstreamError("the MiniMax upstream answered a file without a download_url")
    return url


def with_video(state: UpstreamState, url: str, file_id: str) -> UpstreamState:
    """A succeeded state with its video's URL filled in (from ``files/retrieve``)."""
    videos = state.result.get(VIDEOS_KEY)
    first = videos[0] if isinstance(videos, list) and videos else {}
    result = {VIDEOS_KEY: [{**first, "url": url}], "upstream_file_id": file_id}
    return UpstreamState(status=state.status, progress=state.progress, result=result)
