"""MiniMax's wire as this gateway answers it: ``base_resp``, the query answer, the file object.

A query answers ``{"task_id", "status", "file_id"?, "video_width"?, "video_height"?, "base_resp"}``
with MiniMax's statuses (``Preparing``, ``Queueing``, ``Processing``, ``Success``, ``Fail``; a
failure's reason in ``fail_reason``); the same object is the body of the webhook to ``callback_url``.
A task's ``file_id`` is its task id as a number: ``/v1/files/retrieve`` answers its ``download_url``,
the gateway's signed, streamed link (never the upstream's URL).
"""

from __future__ import annotations

from typing import Any

from omnirelay.tasks.model import Status, TaskRecord
from omnirelay.tasks.video_tasks import first_video

__all__ = ["FAMILY", "MiniMaxFamily", "base_resp", "success"]

FAMILY = "minimax"
_STATUSES = {
    Status.NOT_START: "Preparing",
    Status.SUBMITTED: "Queueing",
    Status.MODAL: "Queueing",
    Status.IN_PROGRESS: "Processing",
    Status.SUCCESS: "Success",
    Status.FAILURE: "Fail",
    Status.CANCEL: "Fail",
}


def base_resp(code: int = 0, message: str = "success") -> dict[str, Any]:
    return {"status_code": code, "status_msg": message}


def success(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "base_resp": base_resp()}


class MiniMaxFamily:
    """Renders ``minimax`` tasks as MiniMax's query answer; every task is a video."""

    name = FAMILY

    def render(self, record: TaskRecord) -> dict[str, Any]:
        answer: dict[str, Any] = {"task_id": record.id, "status": _STATUSES.get(record.status, "Queueing")}
        if record.status == Status.SUCCESS:
            answer["file_id"] = int(record.id)
            video = first_video(record) or {}
            for field, key in (("video_width", "width"), ("video_height", "height")):
                if isinstance(video.get(key), int):
                    answer[field] = video[key]
        elif record.finished:
            answer["fail_reason"] = record.fail_reason or ""
        return success(answer)

    def is_video(self, record: TaskRecord) -> bool:
        return True
