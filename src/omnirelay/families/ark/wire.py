"""Seedance's wire as this gateway answers it: the task object (spec §4.5) and its signed result links.

The task object is what ``GET .../tasks/{id}`` returns, what a list's ``items`` hold and what the
webhook to ``callback_url`` carries: ``id`` (``cgt-...``, minted here), ``model``, ``status``
(queued/running/succeeded/failed/expired/cancelled), ``content`` once it succeeded
(``video_url``, ``last_frame_url``: this gateway's ``/ark/media/{id}/{video|last_frame}``, signed, so
only holders of the task JSON can fetch them; the upstream's URL never reaches the client),
``seed``/``resolution``/``ratio``/``duration``/``framespersecond`` (the upstream's report, else what
was asked), ``usage``, ``error`` and ``created_at``/``updated_at`` in seconds.

A deleted task stays in the store (its money history is kept) with ``result.deleted``: it is
found by no read and its deletion sends no webhook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnirelay.families.ark.metering import PerCall, made_cost
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["FAMILY", "MEDIA_LINK", "MEDIA_WORDS", "SeedanceFamily", "ark_status", "is_deleted"]

FAMILY = "ark"
MEDIA_LINK = "ark-media"
"""Scope of the signatures on ``/ark/media/...`` links (:class:`~omnirelay.files.links.LinkSigner`)."""
MEDIA_WORDS = {"video": "url", "last_frame": "cover_url"}
"""The path word of a media link, and the field of ``result.videos[0]`` it stands for."""
_STATUSES = {
    Status.NOT_START: "queued",
    Status.SUBMITTED: "queued",
    Status.IN_PROGRESS: "running",
    Status.SUCCESS: "succeeded",
    Status.FAILURE: "failed",
    Status.CANCEL: "cancelled",
}
_ASKED = ("seed", "resolution", "ratio", "duration")
_REPORTED = ("seed", "resolution", "ratio", "duration", "frames", "framespersecond")


def _reported(record: TaskRecord) -> Mapping[str, Any]:
    ark = record.result.get("ark")
    return ark if isinstance(ark, Mapping) else {}


def is_deleted(record: TaskRecord) -> bool:
    return bool(record.result.get("deleted"))


def ark_status(record: TaskRecord) -> str:
    if record.status == Status.FAILURE and _reported(record).get("status") == "expired":
        return "expired"
    return _STATUSES.get(record.status, "queued")


def _error(record: TaskRecord, status: str) -> dict[str, str] | None:
    if status not in ("failed", "expired"):
        return None
    error = _reported(record).get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    fallback = "TaskExpired" if status == "expired" else "InternalServiceError"
    return {"code": str(code or fallback), "message": record.fail_reason or "The task failed."}


class SeedanceFamily:
    """Renders task records as Ark task objects; a :class:`~omnirelay.tasks.family.MeteredFamily`
    (a task costs what the upstream made) that names its webhook events ``ark.task.{status}``."""

    name = FAMILY

    def __init__(self, signer: LinkSigner, per_call: PerCall) -> None:
        self._signer = signer
        self._per_call = per_call

    def cost(self, record: TaskRecord) -> int | None:
        return made_cost(record, self._per_call)

    def is_video(self, record: TaskRecord) -> bool:
        """Seedance tasks are videos (Ark's images are synchronous and never become tasks)."""
        return record.action == "VIDEO"

    def webhook_event(self, before: TaskRecord | None, after: TaskRecord) -> str | None:
        if is_deleted(after):
            return None
        return f"ark.task.{ark_status(after)}"

    def render(self, record: TaskRecord) -> dict[str, Any]:
        status = ark_status(record)
        reported = _reported(record)
        task: dict[str, Any] = {"id": record.id, "model": record.model, "status": status}
        if status == "succeeded":
            task["content"] = self._content(record)
        for key in _ASKED:
            if record.request.get(key) is not None:
                task[key] = record.request[key]
        task.update({key: reported[key] for key in _REPORTED if reported.get(key) is not None})
        usage = reported.get("usage")
        if isinstance(usage, Mapping):
            task["usage"] = dict(usage)
        task["error"] = _error(record, status)
        task["created_at"] = record.submit_time // 1000
        task["updated_at"] = record.updated_at // 1000
        return task

    def _content(self, record: TaskRecord) -> dict[str, str]:
        videos = record.result.get("videos")
        video = videos[0] if isinstance(videos, list) and videos and isinstance(videos[0], Mapping) else {}
        base = f"{str(record.request.get('base_url', '')).rstrip('/')}/ark/media/{record.id}"
        query = f"?sig={self._signer.sign(MEDIA_LINK, record.id)}"
        content = {"video_url": f"{base}/video{query}"}
        if video.get("cover_url"):
            content["last_frame_url"] = f"{base}/last_frame{query}"
        return content
