"""Kling's wire as this gateway answers it: the task object, its envelope, and the signed result links.

The task object is what a query's ``data`` holds and what the webhook to ``callback_url``
carries (Kling's callback body): ``task_id``, ``task_status`` (submitted/processing/succeed/failed),
``task_status_msg``, ``task_info``, ``created_at``/``updated_at`` in milliseconds and, once it
succeeded, ``task_result`` with ``videos`` or ``images``. Their URLs point at this gateway's
``/kling/media/{task}/{video|image}/{n}``, signed, so only holders of the task JSON can fetch
them (without a key); the upstream's URL never reaches the client.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from omnirelay.families.kling.metering import PerCall, produced_cost
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["FAMILY", "MEDIA_FIELDS", "MEDIA_LINK", "KlingFamily", "envelope", "failure"]

FAMILY = "kling"
MEDIA_LINK = "kling-media"
"""Scope of the signatures on ``/kling/media/...`` links (:class:`~omnirelay.files.links.LinkSigner`)."""
MEDIA_FIELDS = {"video": "videos", "image": "images"}
"""The path word of a media link, and the ``task_result`` list it stands for."""
_STATUSES = {
    Status.NOT_START: "submitted",
    Status.SUBMITTED: "submitted",
    Status.IN_PROGRESS: "processing",
    Status.SUCCESS: "succeed",
    Status.FAILURE: "failed",
    Status.CANCEL: "failed",
}


def envelope(data: Any) -> dict[str, Any]:
    return {"code": 0, "message": "SUCCEED", "request_id": str(uuid.uuid4()), "data": data}


def failure(code: int, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": str(uuid.uuid4())}


class KlingFamily:
    """Renders task records as Kling task objects (a query's ``data``, a callback's body); a
    :class:`~omnirelay.tasks.family.MeteredFamily`: a task costs what the upstream produced."""

    name = FAMILY

    def __init__(self, signer: LinkSigner, per_call: PerCall) -> None:
        self._signer = signer
        self._per_call = per_call

    def cost(self, record: TaskRecord) -> int | None:
        return produced_cost(record, self._per_call)

    def is_video(self, record: TaskRecord) -> bool:
        """A :class:`~omnirelay.tasks.video_tasks.VideoFamily`: its video kinds (not its images)."""
        return record.request.get("kind") != "images"

    def render(self, record: TaskRecord) -> dict[str, Any]:
        external = record.result.get("external_task_id")
        task: dict[str, Any] = {
            "task_id": record.id,
            "task_status": _STATUSES.get(record.status, "submitted"),
            "task_status_msg": record.fail_reason or "",
            "task_info": {"external_task_id": external} if isinstance(external, str) else {},
            "created_at": record.submit_time,
            "updated_at": record.updated_at,
        }
        if record.status == Status.SUCCESS:
            task["task_result"] = self._result(record)
        return task

    def created(self, record: TaskRecord) -> dict[str, Any]:
        """A create's ``data``: the task as just submitted."""
        task = self.render(record)
        del task["task_status_msg"]
        return task

    def _result(self, record: TaskRecord) -> dict[str, Any]:
        base = f"{str(record.request.get('base_url', '')).rstrip('/')}/kling/media/{record.id}"
        query = f"?sig={self._signer.sign(MEDIA_LINK, record.id)}"
        result: dict[str, Any] = {}
        for word, field in MEDIA_FIELDS.items():
            files = record.result.get(field)
            if not isinstance(files, list):
                continue
            shown = []
            for n, item in enumerate(files):
                if isinstance(item, Mapping):
                    shown.append({**item, "url": f"{base}/{word}/{n}{query}"})
            result[field] = shown
        return result
