"""The video object of ``/v1/videos`` (spec §5.1), rendered from a task record of the ``videos`` family.

``{"id", "object": "video", "model", "status", "progress", "created_at", "completed_at",
"expires_at", "prompt", "size", "seconds", "remixed_from_video_id", "error"}``: statuses
``queued`` -> ``in_progress`` -> ``completed`` | ``failed``; times in unix seconds; ``error``
``{"code", "message"}`` once failed. ``size`` and ``seconds`` are what was asked, else what
the upstream made (its width and height, its length), else null.
"""

from __future__ import annotations

from typing import Any

from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.tasks.video_tasks import neutral_status, seconds_of, size_of

__all__ = ["FAMILY", "VideosFamily"]

FAMILY = "videos"
_EVENTS = {Status.SUCCESS: "video.completed", Status.FAILURE: "video.failed", Status.CANCEL: "video.failed"}


def _seconds(ms: int | None) -> int | None:
    return ms // 1000 if ms else None


class VideosFamily:
    """Renders ``videos`` tasks as OpenAI video objects; webhooks only when a video completes or fails
    (``video.completed``, ``video.failed``, as OpenAI names them)."""

    name = FAMILY

    def render(self, record: TaskRecord) -> dict[str, Any]:
        failed = record.status in (Status.FAILURE, Status.CANCEL)
        error = {"code": "video_generation_failed", "message": record.fail_reason or "The video failed."}
        return {
            "id": record.id,
            "object": "video",
            "model": record.model,
            "status": neutral_status(record),
            "progress": record.progress,
            "created_at": _seconds(record.submit_time),
            "completed_at": _seconds(record.finish_time) if record.finished else None,
            "expires_at": None,
            "prompt": record.request.get("prompt"),
            "size": size_of(record),
            "seconds": seconds_of(record),
            "remixed_from_video_id": None,
            "error": error if failed else None,
        }

    def is_video(self, record: TaskRecord) -> bool:
        return True

    def webhook_event(self, before: TaskRecord | None, after: TaskRecord) -> str | None:
        if before is not None and before.status == after.status:
            return None
        event = _EVENTS.get(after.status)
        return None if event is None else event
