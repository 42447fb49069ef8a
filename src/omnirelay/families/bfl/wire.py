"""BFL's wire as this gateway answers it: the ``ResultResponse`` of ``GET /v1/get_result`` and the webhook.

``{id, status, result, progress, details}``: ``status`` is BFL's (``Pending``, ``Ready``, ``Error``,
``Request Moderated``, ``Content Moderated``; ``Task not found`` is answered by the queries), ``progress``
a fraction from 0 to 1 while it runs, and once ``Ready``, ``result`` holds ``sample``: this gateway's
``/bfl/media/{task}/sample.{jpeg|png}``, signed, so only holders of the result can fetch it (without a
key); the upstream's expiring URL never reaches the client. The webhook (``webhook_url``) carries the
same object, once, when the task ends, as BFL sends it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from omnirelay.channels.crypto import SecretBox
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["FAMILY", "MEDIA_LINK", "MODERATED", "BflFamily", "not_found"]

FAMILY = "bfl"
MEDIA_LINK = "bfl-media"
"""Scope of the signatures on ``/bfl/media/...`` links (:class:`~omnirelay.files.links.LinkSigner`)."""
MODERATED = ("Request Moderated", "Content Moderated")
_STATUSES = {Status.SUCCESS: "Ready", Status.FAILURE: "Error", Status.CANCEL: "Error"}
_KEPT = ("prompt", "seed", "start_time", "end_time", "duration")
"""Fields of the upstream's ``result`` shown with the gateway's ``sample``."""


def not_found(task_id: str) -> dict[str, Any]:
    return {"id": task_id, "status": "Task not found", "result": None, "progress": None, "details": None}


def _status(record: TaskRecord) -> str:
    moderated = record.result.get("bfl_status")
    if record.status == Status.FAILURE and moderated in MODERATED:
        return str(moderated)
    return _STATUSES.get(record.status, "Pending")


def _seconds(ms: int | None) -> float | None:
    return ms / 1000 if ms is not None else None


class BflFamily:
    """Renders task records as BFL's ``ResultResponse``; a :class:`~omnirelay.tasks.family.WebhookEvents`
    family: only a task's end is delivered (BFL's webhook is sent once, on completion)."""

    name = FAMILY

    def __init__(self, signer: LinkSigner, box: SecretBox) -> None:
        self._signer = signer
        self._box = box

    def render(self, record: TaskRecord) -> dict[str, Any]:
        status = _status(record)
        running = status == "Pending" and record.status == Status.IN_PROGRESS
        return {
            "id": record.id,
            "status": status,
            "result": self._result(record) if status == "Ready" else None,
            "progress": round(record.progress / 100, 2) if running else None,
            "details": self._details(record) if record.status in (Status.FAILURE, Status.CANCEL) else None,
        }

    def webhook_headers(self, record: TaskRecord, body: bytes) -> dict[str, str]:
        """``X-BFL-Signature``: the hex HMAC-SHA256 of the body under the ``webhook_secret`` the client gave."""
        sealed = record.request.get("webhook_secret")
        if not isinstance(sealed, str):
            return {}
        secret = self._box.open(sealed)[0]
        return {"X-BFL-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}

    def webhook_event(self, before: TaskRecord | None, after: TaskRecord) -> str | None:
        if not after.finished:
            return None
        return f"bfl.task.{_status(after).lower().replace(' ', '_')}"

    def sample_link(self, record: TaskRecord) -> str:
        base = str(record.request.get("base_url", "")).rstrip("/")
        extension = "png" if record.request.get("output_format") == "png" else "jpeg"
        return f"{base}/bfl/media/{record.id}/sample.{extension}?sig={self._signer.sign(MEDIA_LINK, record.id)}"

    def _result(self, record: TaskRecord) -> dict[str, Any]:
        result: dict[str, Any] = {"sample": self.sample_link(record)}
        known = {
            "prompt": record.request.get("prompt"),
            "seed": record.request.get("seed"),
            "start_time": _seconds(record.start_time or record.submit_time),
            "end_time": _seconds(record.finish_time),
        }
        for key in _KEPT:
            value = record.result.get(key, known.get(key))
            if value is not None:
                result[key] = value
        if "duration" not in result and "start_time" in result and "end_time" in result:
            result["duration"] = round(float(result["end_time"]) - float(result["start_time"]), 3)
        return result

    def _details(self, record: TaskRecord) -> dict[str, Any]:
        details = record.result.get("details")
        if isinstance(details, Mapping) and details:
            return dict(details)
        return {"error": record.fail_reason or "The task failed."}
