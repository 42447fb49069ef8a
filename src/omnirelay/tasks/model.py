"""The family-neutral task record and the upstream observations that move it forward."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "Status",
    "TaskRecord",
    "UpstreamState",
    "advance",
]


class Status:
    NOT_START = "NOT_START"
    SUBMITTED = "SUBMITTED"
    MODAL = "MODAL"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILURE = "FAILURE"
    CANCEL = "CANCEL"


TERMINAL = frozenset({Status.SUCCESS, Status.FAILURE, Status.CANCEL})
ACTIVE = frozenset({Status.NOT_START, Status.SUBMITTED, Status.IN_PROGRESS})
_ENDED_BADLY = frozenset({Status.FAILURE, Status.CANCEL})
_RANK = {
    Status.NOT_START: 0,
    Status.MODAL: 0,
    Status.SUBMITTED: 1,
    Status.IN_PROGRESS: 2,
    Status.SUCCESS: 3,
    Status.FAILURE: 3,
    Status.CANCEL: 3,
}


@dataclass(frozen=True, slots=True)
class UpstreamState:
    """What an upstream says about one task (from a poll or a callback), already in neutral terms."""

    status: str
    progress: int
    fail_reason: str | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    """Family data to merge into the record's result (image URL, buttons, prompts...)."""
    start_time: int | None = None
    finish_time: int | None = None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One row of the ``tasks`` table."""

    id: str
    family: str
    action: str
    model: str
    status: str
    progress: int
    account_id: int
    key_id: int | None
    channel_id: int | None
    upstream_id: str | None
    parent_id: str | None
    hold: int
    billing: str
    """``none`` (nothing held), ``reserved``, ``settled`` or ``refunded``."""
    cost: int
    request: Mapping[str, Any]
    result: Mapping[str, Any]
    fail_reason: str | None
    notify_url: str | None
    submit_time: int
    start_time: int | None
    finish_time: int | None
    deadline: int
    next_poll_at: int | None
    poll_interval_ms: int
    version: int
    updated_at: int

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> TaskRecord:
        return cls(**{k: v for k, v in row.items() if k in _FIELD_SET})

    def values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _FIELDS}

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def replace(self, **changes: Any) -> TaskRecord:
        return dataclasses.replace(self, **changes)


_FIELDS = tuple(f.name for f in dataclasses.fields(TaskRecord))
"""The record's fields in order, found once (``dataclasses.fields`` builds them on every call)."""
_FIELD_SET = frozenset(_FIELDS)


def _moves_forward(record: TaskRecord, state: UpstreamState) -> bool:
    if record.finished:
        return False
    rank, new_rank = _RANK.get(record.status, 0), _RANK.get(state.status, 0)
    if new_rank != rank:
        return new_rank > rank
    return state.progress > record.progress or bool(state.result and _merged(record, state) != record.result)


def _merged(record: TaskRecord, state: UpstreamState) -> dict[str, Any]:
    return {**record.result, **state.result}


def advance(record: TaskRecord, state: UpstreamState, now: int) -> TaskRecord | None:
    """The record after ``state``, or None when it says nothing new (stale or repeated observations)."""
    if not _moves_forward(record, state):
        return None
    terminal = state.status in TERMINAL
    progress = 100 if state.status == Status.SUCCESS else max(record.progress, state.progress)
    return record.replace(
        status=state.status,
        progress=progress,
        result=_merged(record, state),
        fail_reason=state.fail_reason if state.status in _ENDED_BADLY else record.fail_reason,
        start_time=record.start_time or state.start_time or (now if state.status != Status.NOT_START else None),
        finish_time=(state.finish_time or now) if terminal else None,
        next_poll_at=None if terminal else record.next_poll_at,
        version=record.version + 1,
        updated_at=now,
    )
