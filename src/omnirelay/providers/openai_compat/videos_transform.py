"""Pure transforms between vendor-neutral video jobs and OpenAI's ``/v1/videos`` wire (llm_surfaces §5.1).

An ``openai`` channel serving a video model is another gateway's (or OpenAI's) ``/v1/videos``:

* a create is ``POST {base}/videos`` as JSON: ``model``, ``prompt``, ``seconds`` (a string), ``size``,
  ``input_reference: {"image_url"}`` for a first frame, and the client's vendor fields as ``metadata``
  (what this gateway's own ``/v1/videos`` passes on to its upstream);
* the upstream id of a task is ``{video id}:{key fingerprint}``: a video is read with the key that
  made it (a gateway only shows a key's own account its videos);
* a poll reads ``GET {base}/videos/{id}``: ``queued``/``in_progress``/``completed``/``failed``; once
  completed the task's ``videos`` (:mod:`omnirelay.providers.video`) name ``{base}/videos/{id}/content``,
  which only opens with the key, so each download asks the provider for it again with that key
  (:class:`~omnirelay.providers.video.VideoSourcer`). No thumbnail is relayed: not every upstream has one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from omnirelay.providers.video import VIDEOS_KEY, VideoJob
from omnirelay.tasks.model import Status, UpstreamState

__all__ = ["content_url", "create_body", "fingerprint", "parse_upstream_id", "state_from", "upstream_id", "video_id"]

_STATUSES = {
    "queued": Status.SUBMITTED,
    "in_progress": Status.IN_PROGRESS,
    "completed": Status.SUCCESS,
    "failed": Status.FAILURE,
}


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def upstream_id(video: str, secret: str) -> str:
    return f"{video}:{fingerprint(secret)}"


def parse_upstream_id(value: str) -> tuple[str, str] | None:
    """(the upstream's video id, key fingerprint), or None when ``value`` is not one of ours."""
    video, _, key = value.partition(":")
    return (video, key) if video and "/" not in video else None


def create_body(job: VideoJob) -> dict[str, Any]:
    body: dict[str, Any] = {"model": job.model, "prompt": job.prompt}
    if job.seconds is not None:
        body["seconds"] = str(job.seconds)
    if job.size:
        body["size"] = job.size
    if job.image:
        body["input_reference"] = {"image_url": job.image}
    if job.extra:
        body["metadata"] = dict(job.extra)
    return body


def video_id(answer: Any) -> str | None:
    """The id of the video a create answered (a video object), or None when it is not that shape."""
    found = answer.get("id") if isinstance(answer, Mapping) else None
    return found if isinstance(found, str) and found and "/" not in found else None


def content_url(base_url: str, video: str) -> str:
    return f"{base_url.rstrip('/')}/videos/{video}/content"


def _progress(answer: Mapping[str, Any]) -> int:
    value = answer.get("progress")
    return max(0, min(100, value)) if isinstance(value, int) and not isinstance(value, bool) else 0


def _failure(answer: Mapping[str, Any]) -> str:
    error = answer.get("error")
    message = error.get("message") if isinstance(error, Mapping) else None
    return str(message) if message else "The upstream reported a failure without a reason."


def _video(answer: Mapping[str, Any], url: str) -> dict[str, Any]:
    video: dict[str, Any] = {"url": url}
    seconds = answer.get("seconds")
    if isinstance(seconds, str | int) and not isinstance(seconds, bool) and str(seconds).isdigit():
        video["duration"] = int(seconds)
    width, _, height = str(answer.get("size") or "").partition("x")
    if width.isdigit() and height.isdigit():
        video["width"], video["height"] = int(width), int(height)
    return video


def state_from(answer: Any, base_url: str, video: str) -> UpstreamState | None:
    """The state a video object tells (None: nothing the engine can use)."""
    if not isinstance(answer, Mapping):
        return None
    status = _STATUSES.get(str(answer.get("status")))
    if status is None:
        return None
    if status == Status.FAILURE:
        return UpstreamState(status=status, progress=0, fail_reason=_failure(answer))
    if status != Status.SUCCESS:
        return UpstreamState(status=status, progress=_progress(answer))
    result = {VIDEOS_KEY: [_video(answer, content_url(base_url, video))]}
    return UpstreamState(status=status, progress=100, result=result)
