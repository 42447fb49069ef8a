"""Pure transforms between the Replicate wire (spec §1) and the neutral terms of :mod:`.upstream`.

A create goes upstream with the client's ``input`` only: the client's ``webhook`` (and
``webhook_completed``, ``webhook_events_filter``, ``stream``) is dropped, since the gateway sends
its own webhooks and the upstream must never learn the client's URL; the gateway's ingestion URL
goes in its place when the family gives one. Predictions are read into neutral states (§0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from omnirelay.errors import UpstreamError
from omnirelay.providers.replicate.upstream import ReplicateCreate, ReplicatePrediction
from omnirelay.tasks.model import Status, UpstreamState

__all__ = [
    "PREDICTION_FIELDS",
    "UpstreamRequest",
    "cancel_request",
    "create_request",
    "get_request",
    "mapped_target",
    "prediction_fields",
    "prediction_from",
    "state_from",
]

_STATUSES = {
    "starting": Status.SUBMITTED,
    "processing": Status.IN_PROGRESS,
    "succeeded": Status.SUCCESS,
    "failed": Status.FAILURE,
    "canceled": Status.CANCEL,
    "aborted": Status.CANCEL,
}
"""§0: ``starting`` after an accepted create means "waiting upstream" (SUBMITTED, as the other
families read it); ``aborted`` (the deadline passed before it started) is a cancel too."""
_REASONS = {
    "failed": "The upstream reported a failure without a reason.",
    "canceled": "The prediction was canceled.",
    "aborted": "The prediction was aborted: its Cancel-After deadline passed before it started.",
}
PREDICTION_FIELDS = (
    "id",
    "model",
    "version",
    "status",
    "input",
    "output",
    "logs",
    "error",
    "metrics",
    "created_at",
    "started_at",
    "completed_at",
    "deadline",
    "data_removed",
)
"""What of an upstream prediction goes into ``state.result["prediction"]`` (never its ``urls``)."""
_PERCENT = re.compile(r"(\d{1,3})%\|")


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: Literal["GET", "POST"]
    path: str
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def mapped_target(create: ReplicateCreate, model_map: Mapping[str, str]) -> str:
    """The target with the channel's ``model_map`` applied to its ``owner/name`` (a version hash stays)."""
    if create.target in model_map:
        return model_map[create.target]
    name, sep, digest = create.target.partition(":")
    if sep and name in model_map:
        return f"{model_map[name]}:{digest}"
    return create.target


def create_request(create: ReplicateCreate, target: str) -> UpstreamRequest:
    """The upstream call for ``create`` addressed at ``target`` (from :func:`mapped_target`)."""
    body: dict[str, Any] = {"input": create.body.get("input", {})}
    if create.upstream_webhook is not None:
        body["webhook"] = create.upstream_webhook
        if create.upstream_events is not None:
            body["webhook_events_filter"] = list(create.upstream_events)
    headers: dict[str, str] = {}
    if create.wait_s is not None:
        headers["Prefer"] = f"wait={create.wait_s}"
    if create.cancel_after is not None:
        headers["Cancel-After"] = create.cancel_after
    if create.addressing == "version":
        return UpstreamRequest("POST", "/v1/predictions", {"version": target, **body}, headers)
    return UpstreamRequest("POST", f"/v1/{create.addressing}s/{target}/predictions", body, headers)


def get_request(upstream_id: str) -> UpstreamRequest:
    return UpstreamRequest("GET", f"/v1/predictions/{quote(upstream_id, safe='')}")


def cancel_request(upstream_id: str) -> UpstreamRequest:
    return UpstreamRequest("POST", f"/v1/predictions/{quote(upstream_id, safe='')}/cancel")


def _ms(value: Any) -> int | None:
    """An ISO 8601 date-time as unix milliseconds; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        return None


def _progress(status: str, logs: Any) -> int:
    """From the last tqdm-style ``NN%|`` line of the logs while running; 0 before, 100 at the end."""
    if status in ("succeeded", "failed", "canceled", "aborted"):
        return 100
    found = _PERCENT.findall(logs) if isinstance(logs, str) and status == "processing" else []
    return min(99, int(found[-1])) if found else 0


def prediction_fields(prediction: Mapping[str, Any]) -> dict[str, Any]:
    """The upstream prediction's fields a client-facing one is made of (upstream URLs left out)."""
    return {key: prediction.get(key) for key in PREDICTION_FIELDS if key in prediction}


def state_from(prediction: Mapping[str, Any]) -> UpstreamState | None:
    """The neutral state of an upstream prediction; None when it is not one (no known status)."""
    status = str(prediction.get("status") or "")
    neutral = _STATUSES.get(status)
    if neutral is None:
        return None
    reason = None
    if neutral in (Status.FAILURE, Status.CANCEL):
        error = prediction.get("error")
        reason = str(error) if error else _REASONS[status]
    return UpstreamState(
        status=neutral,
        progress=_progress(status, prediction.get("logs")),
        fail_reason=reason,
        result={"prediction": prediction_fields(prediction)},
        start_time=_ms(prediction.get("started_at")),
        finish_time=_ms(prediction.get("completed_at")),
    )


def prediction_from(answer: Any) -> ReplicatePrediction:
    """An upstream answer as a prediction; UpstreamError when it is not one."""
    upstream_id = answer.get("id") if isinstance(answer, Mapping) else None
    state = state_from(answer) if isinstance(answer, Mapping) else None
    if not isinstance(upstream_id, str) or not upstream_id or state is None:
        raise UpstreamError("the Replicate upstream answered something that is not a prediction")
    return ReplicatePrediction(upstream_id=upstream_id, state=state, raw=dict(answer))
