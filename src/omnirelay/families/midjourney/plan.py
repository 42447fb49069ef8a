"""From a checked submission and its parent task to what is sent upstream and how it is billed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.midjourney.actions import parse_custom_id
from omnirelay.families.midjourney.submissions import Submission
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["Plan", "plan_submission"]

_PATHS = {"swap": "/mj/insight-face/swap"}
_BUTTON_PREFIX = {"UPSCALE": "MJ::JOB::upsample::{n}::", "VARIATION": "MJ::JOB::variation::{n}::"}


@dataclass(frozen=True, slots=True)
class Plan:
    action: str
    billing: str
    """The action whose model is charged; None-like "" when nothing is charged at this step."""
    path: str
    body: dict[str, Any]
    custom_id: str | None = None
    creates_task: bool = True


def _upstream_body(submission: Submission, parent: TaskRecord | None) -> dict[str, Any]:
    body = {k: v for k, v in submission.body.items() if k not in ("notifyHook", "state")}
    if parent is not None:
        body["taskId"] = parent.upstream_id
    return body


def _change_as_button(submission: Submission, parent: TaskRecord) -> str | None:
    """The parent's button for U1..V4/R, so proxies without /change (trueai v10) work too."""
    if submission.action == "REROLL":
        wanted = "MJ::JOB::reroll::0::"
    else:
        wanted = _BUTTON_PREFIX[submission.action].format(n=submission.index)
    for button in parent.result.get("buttons") or []:
        custom_id = button.get("customId") if isinstance(button, dict) else None
        if isinstance(custom_id, str) and custom_id.startswith(wanted):
            return custom_id
    return None


def _check_parent(parent: TaskRecord) -> None:
    if parent.status != Status.SUCCESS:
        raise InvalidRequest(
            f"The task {parent.id} is {parent.status}; only a task that succeeded can be acted on.", param="taskId"
        )


def _check_extended(parent: TaskRecord, index: int) -> None:
    if parent.action != "VIDEO":
        raise InvalidRequest(
            f"The task {parent.id} is {parent.action}; only a VIDEO task can be extended.", param="taskId"
        )
    clips = parent.result.get("videoUrls")
    if isinstance(clips, list) and clips and index >= len(clips):
        raise InvalidRequest(
            f"index must be below {len(clips)}: the task {parent.id} has {len(clips)} clips.", param="index"
        )


def plan_submission(submission: Submission, parent: TaskRecord | None) -> Plan:
    body = _upstream_body(submission, parent)
    path = _PATHS.get(submission.endpoint, f"/mj/submit/{submission.endpoint}")
    billing = submission.billing or submission.action
    if parent is None:
        return Plan(submission.action, billing, path, body, creates_task=submission.creates_task)
    _check_parent(parent)
    if submission.endpoint == "video":
        _check_extended(parent, submission.index or 0)
        return Plan(submission.action, billing, path, body)
    if submission.custom_id is not None:
        button = parse_custom_id(submission.custom_id, parent.action)
        billing = "" if button.modal else button.billing
        return Plan(button.action, billing, path, body, submission.custom_id, button.creates_task)
    custom_id = _change_as_button(submission, parent)
    if custom_id is not None:
        action_body = {k: v for k, v in body.items() if k not in ("action", "index")} | {"customId": custom_id}
        return Plan(submission.action, submission.action, "/mj/submit/action", action_body, custom_id)
    return Plan(submission.action, submission.action, "/mj/submit/change", body)
