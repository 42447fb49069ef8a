"""The Prediction JSON Replicate clients read, rendered from a task record (pure, but for the link signer).

The record keeps what the client asked (``request``: input, version, webhook and its event
filter, the base URL and path prefix the prediction was created under, the Cancel-After
deadline, the per-second price) and what the upstream last said (``result``: its status,
output, logs, error, metrics, times). Output files are the gateway's signed links, never the
upstream's; ``urls`` point at the gateway.

Three more things the engine asks a family (:mod:`omnirelay.tasks.family`): which webhook
event a change sends, if any (the client's ``webhook_events_filter``, intermediate events at
most one per 500 ms), and what a finished prediction costs (per second of ``predict_time``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from omnirelay.families.replicate.outputs import rewritten
from omnirelay.files.links import LinkSigner
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["FILE_LINK", "THROTTLE_MS", "ReplicateFamily", "iso", "prediction", "status_of"]

FILE_LINK = "replicate-file"
"""Scope of the signatures on ``/replicate/files/{id}/{n}`` links."""
THROTTLE_MS = 500
_INTERMEDIATE = frozenset({"replicate.start", "replicate.output", "replicate.logs"})
"""Least time between two intermediate (``output``, ``logs``) webhooks of one prediction."""
_WAITING = {Status.NOT_START: "starting", Status.SUBMITTED: "starting", Status.IN_PROGRESS: "processing"}
_ENDED = ("succeeded", "failed", "canceled", "aborted")


def prediction(record: TaskRecord) -> dict[str, Any]:
    """What the upstream last said of the prediction (Replicate's own fields, its URLs left out)."""
    said = record.result.get("prediction")
    return dict(said) if isinstance(said, dict) else {}


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def status_of(record: TaskRecord) -> str:
    """Replicate's status: the engine's, told apart by what the upstream said and the Cancel-After deadline."""
    if record.status in _WAITING:
        return _WAITING[record.status]
    if record.status == Status.SUCCESS:
        return "succeeded"
    said = prediction(record).get("status")
    if said in _ENDED:
        return str(said)
    deadline = record.request.get("deadline_ms")
    if isinstance(deadline, int) and (record.finish_time or 0) >= deadline:
        return "canceled" if record.start_time is not None or said == "processing" else "aborted"
    return "canceled" if record.status == Status.CANCEL else "failed"


class ReplicateFamily:
    """Renders task records as Replicate predictions (what fetch returns and webhooks carry)."""

    name = "replicate"

    def __init__(self, signer: LinkSigner) -> None:
        self._signer = signer

    def file_link(self, record: TaskRecord, n: int) -> str:
        base = str(record.request.get("base_url", "")).rstrip("/")
        return f"{base}/replicate/files/{record.id}/{n}?sig={self._signer.sign(FILE_LINK, f'{record.id}.{n}')}"

    def urls(self, record: TaskRecord) -> dict[str, str]:
        base = str(record.request.get("base_url", "")).rstrip("/") + str(record.request.get("prefix", "/v1"))
        get = f"{base}/predictions/{record.id}"
        return {"get": get, "cancel": f"{get}/cancel", "web": get}

    def render(self, record: TaskRecord) -> dict[str, Any]:
        request, result = record.request, prediction(record)
        status = status_of(record)
        output = result.get("output") if status not in ("failed", "canceled", "aborted") else None
        body: dict[str, Any] = {
            "id": record.id,
            "model": request.get("model"),
            "version": request.get("version", "hidden"),
            "input": request.get("input", {}),
            "logs": result.get("logs") or "",
            "output": rewritten(output, lambda n, _url: self.file_link(record, n)),
            "data_removed": False,
            "error": _error(record, status),
            "status": status,
            "source": "api",
            "created_at": iso(record.submit_time),
            "started_at": iso(record.start_time),
            "completed_at": iso(record.finish_time),
            "urls": self.urls(record),
        }
        if record.finished:
            body["metrics"] = dict(result.get("metrics") or {})
        for key in ("deployment", "webhook", "webhook_events_filter"):
            if request.get(key) is not None:
                body[key] = request[key]
        if isinstance(request.get("deadline_ms"), int):
            body["deadline"] = iso(request["deadline_ms"])
        return body

    def webhook_event(self, before: TaskRecord | None, after: TaskRecord) -> str | None:
        """The event ``after`` sends to the prediction's webhook, or None (filtered out or throttled)."""
        wanted = after.request.get("webhook_events_filter") or ("output", "completed")
        if after.finished:
            return "replicate.completed" if "completed" in wanted else None
        if before is None:
            return None
        if before.status not in (Status.IN_PROGRESS, *_TERMINAL) and after.status == Status.IN_PROGRESS:
            if "start" in wanted:
                return "replicate.start"
        if after.updated_at - before.updated_at < THROTTLE_MS:
            return None
        said, earlier = prediction(after), prediction(before)
        if "output" in wanted and said.get("output") != earlier.get("output"):
            return "replicate.output"
        if "logs" in wanted and said.get("logs") != earlier.get("logs"):
            return "replicate.logs"
        return None

    def retried(self, event: str) -> bool:
        """Only the terminal webhook is retried (spec §1.2); intermediate ones are sent once."""
        return event not in _INTERMEDIATE

    def cost(self, record: TaskRecord) -> int | None:
        """What a succeeded prediction billed per second costs: its seconds of ``predict_time`` at
        the unit price and multiplier it was reserved at; None (its hold) when billed per prediction."""
        per_second = record.request.get("per_second_price")
        if not isinstance(per_second, int):
            return None
        seconds = (prediction(record).get("metrics") or {}).get("predict_time")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
            return None  # no metrics: the hold stands (what was agreed at create)
        multiplier = Fraction(str(record.request.get("multiplier", "1")))
        return math.ceil(Fraction(str(seconds)) * per_second * multiplier)


_TERMINAL = (Status.SUCCESS, Status.FAILURE, Status.CANCEL)


def _error(record: TaskRecord, status: str) -> str | None:
    if status == "succeeded" or record.status in _WAITING:
        return None
    said = prediction(record).get("error")
    return str(said) if said else record.fail_reason
