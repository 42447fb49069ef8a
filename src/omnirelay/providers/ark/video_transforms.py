"""Pure transforms of Ark's Seedance tasks (spec §4.5) to and from the task engine's neutral terms.

* A create goes to ``POST /contents/generations/tasks`` as the family checked it, ``model``
  mapped by the channel's model map; the answer's ``id`` becomes the upstream id
  ``{id}:{key fingerprint}`` (a task is read back with the key that made it, the key itself
  never stored).
* A task object becomes an :class:`UpstreamState` (§0: queued/running/succeeded/failed/expired/
  cancelled). Its ``result`` carries ``videos`` (``[{"url", "duration", "cover_url"?}]``, the
  convention of :mod:`omnirelay.providers.video`) and ``ark``: what the upstream reported
  (resolution, ratio, duration, framespersecond, seed, usage, status, error).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from omnirelay.errors import UpstreamError
from omnirelay.providers.ark.request import UpstreamRequest
from omnirelay.tasks.model import Status, UpstreamState

__all__ = [
    "TASKS_PATH",
    "accepted_id",
    "cancel_request",
    "fingerprint",
    "parse_upstream_id",
    "query_request",
    "state_from",
    "submit_request",
    "upstream_id",
]

TASKS_PATH = "/contents/generations/tasks"
_STATUSES = {
    "queued": Status.SUBMITTED,
    "pending": Status.SUBMITTED,
    "running": Status.IN_PROGRESS,
    "processing": Status.IN_PROGRESS,
    "succeeded": Status.SUCCESS,
    "failed": Status.FAILURE,
    "expired": Status.FAILURE,
    "cancelled": Status.CANCEL,
}
_REPORTED = ("resolution", "ratio", "duration", "frames", "framespersecond", "seed", "usage")


def fingerprint(secret: str) -> str:
    """A short, one-way name of an API key (stored with the task instead of the key)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def upstream_id(task_id: str, secret: str) -> str:
    return f"{task_id}:{fingerprint(secret)}"


def parse_upstream_id(value: str) -> tuple[str, str]:
    """(Ark task id, key fingerprint) of an upstream id (no fingerprint: the channel's first key)."""
    task_id, _, print_ = value.rpartition(":") if ":" in value else (value, "", "")
    return task_id, print_


def submit_request(body: Mapping[str, Any], upstream_model: str) -> UpstreamRequest:
    sent = {key: value for key, value in body.items() if key != "callback_url"}
    sent["model"] = upstream_model
    return UpstreamRequest("POST", TASKS_PATH, sent)


def query_request(task_id: str) -> UpstreamRequest:
    return UpstreamRequest("GET", f"{TASKS_PATH}/{task_id}")


def cancel_request(task_id: str) -> UpstreamRequest:
    return UpstreamRequest("DELETE", f"{TASKS_PATH}/{task_id}")


def accepted_id(answer: Any) -> str:
    task_id = answer.get("id") if isinstance(answer, Mapping) else None
    if not isinstance(task_id, str) or not task_id or ":" in task_id:
        raise UpstreamError("the Ark upstream accepted a task without answering its id")
    return task_id


def _videos(task: Mapping[str, Any]) -> list[dict[str, Any]]:
    content = task.get("content")
    url = content.get("video_url") if isinstance(content, Mapping) else None
    if not isinstance(url, str) or not url:
        return []
    video: dict[str, Any] = {"url": url}
    if isinstance(task.get("duration"), int | float) and not isinstance(task.get("duration"), bool):
        video["duration"] = task["duration"]
    last = content.get("last_frame_url") if isinstance(content, Mapping) else None
    if isinstance(last, str) and last:
        video["cover_url"] = last
    return [video]


def _reported(task: Mapping[str, Any], status: str) -> dict[str, Any]:
    reported = {key: task[key] for key in _REPORTED if task.get(key) is not None}
    reported["status"] = status
    error = task.get("error")
    if isinstance(error, Mapping):
        reported["error"] = {"code": str(error.get("code") or ""), "message": str(error.get("message") or "")}
    return reported


def _seconds(value: Any) -> int | None:
    return value * 1000 if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _reason(task: Mapping[str, Any], status: str) -> str:
    error = task.get("error")
    message = error.get("message") if isinstance(error, Mapping) else None
    if isinstance(message, str) and message:
        return message
    if status == "expired":
        return "The task expired upstream before it could run."
    if status == "cancelled":
        return "The task was cancelled."
    return "The upstream reported a failure without a reason."


def state_from(task: Any) -> UpstreamState | None:
    """The state a task object reports, or None when it says nothing the engine can use."""
    raw = task.get("status") if isinstance(task, Mapping) else None
    status = _STATUSES.get(str(raw))
    if not isinstance(task, Mapping) or status is None:
        return None
    result: dict[str, Any] = {"ark": _reported(task, str(raw))}
    videos = _videos(task) if status == Status.SUCCESS else []
    if videos:
        result["videos"] = videos
    elif status == Status.SUCCESS:  # nothing to hand the client: not billed
        status, raw = Status.FAILURE, "failed"
        task = {**task, "error": {"message": "The upstream reported success without a video."}}
    terminal = status in (Status.SUCCESS, Status.FAILURE, Status.CANCEL)
    return UpstreamState(
        status=status,
        progress=50 if status == Status.IN_PROGRESS else 0,
        fail_reason=_reason(task, str(raw)) if status in (Status.FAILURE, Status.CANCEL) else None,
        result=result,
        finish_time=_seconds(task.get("updated_at")) if terminal else None,
    )
