"""What any video task looks like to family-neutral readers (the unified video query, video links).

A family whose tasks may be videos says which are with :class:`VideoFamily` (Kling: its video
kinds, not its images); every other task counts as a video when its result holds ``videos``
(the convention of :mod:`omnirelay.providers.video`). The rest of this module reads a task's
first video, its cover and its length the same way whatever family made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from omnirelay.providers.video import VIDEOS_KEY
from omnirelay.tasks.model import Status, TaskRecord

__all__ = [
    "DELETED_KEY",
    "NEUTRAL_STATUSES",
    "VideoFamily",
    "first_video",
    "is_video",
    "neutral_status",
    "seconds_of",
    "size_of",
]

DELETED_KEY = "deleted"
"""Set in the result of a video its owner deleted: no reader shows it again."""
NEUTRAL_STATUSES = {
    Status.NOT_START: "queued",
    Status.SUBMITTED: "queued",
    Status.MODAL: "queued",
    Status.IN_PROGRESS: "in_progress",
    Status.SUCCESS: "completed",
    Status.FAILURE: "failed",
    Status.CANCEL: "failed",
}


@runtime_checkable
class VideoFamily(Protocol):
    """A family renderer that knows which of its tasks are videos (even before they have a result)."""

    name: str

    def is_video(self, record: TaskRecord) -> bool: ...


def is_video(record: TaskRecord, family: object | None) -> bool:
    """Whether ``record`` (of ``family``, its registered renderer) is a video task not deleted."""
    if record.result.get(DELETED_KEY):
        return False
    if isinstance(family, VideoFamily):
        return family.is_video(record)
    return isinstance(record.result.get(VIDEOS_KEY), list)


def neutral_status(record: TaskRecord) -> str:
    return NEUTRAL_STATUSES.get(record.status, "queued")


def first_video(record: TaskRecord) -> Mapping[str, Any] | None:
    """The task's first produced video (``url``, ``duration``?, ``cover_url``?...), or None."""
    videos = record.result.get(VIDEOS_KEY)
    first = videos[0] if isinstance(videos, list) and videos else None
    return first if isinstance(first, Mapping) else None


def _whole_seconds(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return str(round(seconds)) if seconds > 0 else None


def seconds_of(record: TaskRecord) -> str | None:
    """The video's length in whole seconds: what was asked (``seconds``/``duration``), else what was made."""
    for key in ("seconds", "duration"):
        if (asked := _whole_seconds(record.request.get(key))) is not None:
            return asked
    video = first_video(record)
    return _whole_seconds(video.get("duration")) if video is not None else None


def size_of(record: TaskRecord) -> str | None:
    """``WxH``: what was asked (``size``), else what the upstream made, else None."""
    asked = record.request.get("size")
    if isinstance(asked, str) and asked:
        return asked
    video = first_video(record)
    width, height = (video.get("width"), video.get("height")) if video is not None else (None, None)
    return f"{width}x{height}" if isinstance(width, int) and isinstance(height, int) else None
