"""The task object clients get for a vendor task, and its webhooks: one shape for every vendor.

``{"id", "object": "task", "vendor", "model", "status", "progress", "created_at", "started_at",
"finished_at", "result", "error"}``. ``status`` is the gateway's state (spec §0: ``queued``,
``running``, ``succeeded``, ``failed``, ``canceled``); times are Unix seconds. Once it succeeded,
``result`` holds the vendor's ``poll.result`` fields; file fields are this gateway's signed
``/v1/tasks/{id}/files/{field}`` links (the upstream's URL never reaches the client). Webhooks
carry the same object as ``task.<status>`` events.

A task billed per unit costs the units its result reports (rounded up) over the units held,
times the hold; the engine bounds it by the hold (:func:`~omnirelay.tasks.billing.closing_entry`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["FAMILY", "FILE_LINK", "STATE_OF", "TaskVendorFamily", "file_link"]

FAMILY = "task_vendor"
FILE_LINK = "task-vendor-file"
"""Scope of the signatures on ``/v1/tasks/{id}/files/{field}`` links."""
STATE_OF = {
    Status.NOT_START: "queued",
    Status.SUBMITTED: "queued",
    Status.MODAL: "queued",
    Status.IN_PROGRESS: "running",
    Status.SUCCESS: "succeeded",
    Status.FAILURE: "failed",
    Status.CANCEL: "canceled",
}


def _seconds(ms: int | None) -> int | None:
    return ms // 1000 if ms is not None else None


def file_link(signer: LinkSigner, record: TaskRecord, field: str) -> str:
    base = str(record.request.get("base_url", "")).rstrip("/")
    return f"{base}/v1/tasks/{record.id}/files/{field}?sig={signer.sign(FILE_LINK, record.id)}"


def _units(value: Any) -> int | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return math.ceil(value)


class TaskVendorFamily:
    """Renders vendor tasks; a :class:`~omnirelay.tasks.family.MeteredFamily` and
    :class:`~omnirelay.tasks.family.WebhookEvents`."""

    name = FAMILY

    def __init__(self, signer: LinkSigner) -> None:
        self._signer = signer

    def cost(self, record: TaskRecord) -> int | None:
        unit_field, held = record.request.get("unit_field"), record.request.get("units")
        fields = record.result.get("fields")
        if not isinstance(unit_field, str) or not isinstance(held, int) or held <= 0 or not isinstance(fields, Mapping):
            return None
        made = _units(fields.get(unit_field))
        return None if made is None else record.hold * made // held

    def webhook_event(self, before: TaskRecord | None, after: TaskRecord) -> str | None:
        if before is not None and STATE_OF.get(before.status) == STATE_OF.get(after.status) and not after.finished:
            return "task.progress"
        return f"task.{STATE_OF.get(after.status, 'queued')}"

    def render(self, record: TaskRecord) -> dict[str, Any]:
        state = STATE_OF.get(record.status, "queued")
        error = None
        if record.status in (Status.FAILURE, Status.CANCEL):
            error = {"code": "canceled" if state == "canceled" else "task_failed", "message": record.fail_reason or ""}
        return {
            "id": record.id,
            "object": "task",
            "vendor": record.request.get("vendor"),
            "model": record.model,
            "status": state,
            "progress": record.progress,
            "created_at": _seconds(record.submit_time),
            "started_at": _seconds(record.start_time),
            "finished_at": _seconds(record.finish_time),
            "result": self._result(record) if record.status == Status.SUCCESS else None,
            "error": error,
        }

    def _result(self, record: TaskRecord) -> dict[str, Any]:
        fields = record.result.get("fields")
        files = record.result.get("files")
        shown: dict[str, Any] = dict(fields) if isinstance(fields, Mapping) else {}
        for field in files if isinstance(files, Mapping) else {}:
            shown[field] = file_link(self._signer, record, str(field))
        return shown
