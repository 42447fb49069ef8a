"""The aggregator "Suno API" wire (spec §2A): the ``{code, message, data}`` envelope and the task object.

Clip media never leak the upstream's URL: ``audio_url``, ``video_url``, ``image_url`` and
``image_large_url`` point at this gateway's ``/suno/media/{task}/{n}/{kind}``, signed (the file
links' signer), so only holders of the task JSON can fetch them, without a key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["MEDIA_KINDS", "MEDIA_LINK", "SunoFamily", "envelope", "failure"]

MEDIA_LINK = "suno-media"
"""Scope of the signatures on ``/suno/media/...`` links (:class:`~omnirelay.files.links.LinkSigner`)."""
MEDIA_KINDS: dict[str, str] = {
    "audio": "audio_url",
    "video": "video_url",
    "image": "image_url",
    "image_large": "image_large_url",
}
"""The path word of a media link, and the clip field it stands for."""

_WAITING_CLIPS = {"queued": "QUEUED", "submitted": Status.SUBMITTED}


def envelope(data: Any) -> dict[str, Any]:
    return {"code": "success", "message": "", "data": data}


def failure(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "data": None}


def _seconds(ms: int | None) -> int:
    return ms // 1000 if ms else 0


def _status(record: TaskRecord) -> str:
    """The 2A status: the engine has one waiting state, the clips tell ``QUEUED`` from ``SUBMITTED``."""
    if record.status not in (Status.SUBMITTED, Status.NOT_START):
        return record.status
    clips = record.result.get("data")
    if isinstance(clips, list):
        statuses = {clip.get("status") for clip in clips if isinstance(clip, Mapping)}
        if "queued" in statuses:
            return "QUEUED"
    return record.status


def _progress(record: TaskRecord) -> str:
    return "100%" if record.finished else f"{record.progress}%"


class SunoFamily:
    """Renders task records as 2A task objects; what the engine's webhooks carry is fetch's very answer."""

    name = "suno"

    def __init__(self, signer: LinkSigner) -> None:
        self._signer = signer

    def task(self, record: TaskRecord) -> dict[str, Any]:
        """The task object (``data`` of ``GET /suno/fetch/{id}``, an item of ``POST /suno/fetch``)."""
        return {
            "task_id": record.id,
            "action": record.action,
            "status": _status(record),
            "fail_reason": record.fail_reason or "",
            "submit_time": _seconds(record.submit_time),
            "start_time": _seconds(record.start_time),
            "finish_time": _seconds(record.finish_time),
            "progress": _progress(record),
            "data": self._data(record),
        }

    def render(self, record: TaskRecord) -> dict[str, Any]:
        """What fetch answers for the task, envelope included: the body of its webhooks."""
        return envelope(self.task(record))

    def _data(self, record: TaskRecord) -> Any:
        data = record.result.get("data")
        if record.action == "LYRICS":
            return dict(data) if isinstance(data, Mapping) else None
        if not isinstance(data, list):
            return []
        return [self._clip(record, n, clip) for n, clip in enumerate(data) if isinstance(clip, Mapping)]

    def _clip(self, record: TaskRecord, n: int, clip: Mapping[str, Any]) -> dict[str, Any]:
        shown = dict(clip)
        base = f"{str(record.request.get('base_url', '')).rstrip('/')}/suno/media/{record.id}/{n}"
        query = f"?sig={self._signer.sign(MEDIA_LINK, record.id)}"
        if not record.finished:
            query += f"&v={record.version}"  # a streaming link becomes the finished file later
        for kind, field in MEDIA_KINDS.items():
            if clip.get(field):
                shown[field] = f"{base}/{kind}{query}"
        return shown
