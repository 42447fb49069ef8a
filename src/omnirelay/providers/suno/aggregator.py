"""Pure transforms for the aggregator dialect (spec §2A): the clients' own format, spoken to an upstream.

Submits go through almost as they came: the client's ``notify_hook`` is dropped (the gateway
sends its own webhooks; the upstream must not learn the client's URL) and ``task_id`` becomes
the upstream's id of the continued task. Tasks come back in the ``{code, message, data}``
envelope and are read into neutral states (§0), their clips into the 2A shape of :mod:`.clips`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from omnirelay.errors import UpstreamError
from omnirelay.families.suno.upstream import SunoAccepted, SunoAccountCall, SunoSubmit
from omnirelay.providers.suno.clips import clip_from_feed
from omnirelay.providers.suno.wire import UpstreamRequest
from omnirelay.tasks.model import Status, UpstreamState

__all__ = ["accepted_from", "account_request", "fetch_request", "states_from", "submit_request"]

_STATUSES = {
    "NOT_START": Status.SUBMITTED,
    "SUBMITTED": Status.SUBMITTED,
    "QUEUED": Status.SUBMITTED,
    "IN_PROGRESS": Status.IN_PROGRESS,
    "SUCCESS": Status.SUCCESS,
    "FAILURE": Status.FAILURE,
}
"""§0; ``UNKNOWN`` is no news, so such a task is left alone. ``NOT_START`` after an accepted submit
still means "waiting upstream"."""
_ACCOUNT_PATHS = {
    "upload_audio": "/suno/uploads/audio",
    "upload_finish": "/suno/uploads/audio/{id}/upload-finish",
    "upload_status": "/suno/uploads/audio/{id}",
    "initialize_clip": "/suno/uploads/audio/{id}/initialize-clip",
    "upload_audio_url": "/suno/uploads/audio-url",
    "create_persona": "/suno/persona/create/",
    "clip_timing": "/suno/act/timing/{clip}",
    "clip_wav": "/suno/act/wav/{clip}",
    "clip_mp4": "/suno/act/mp4/{clip}",
    "clip_midi": "/suno/act/midi/{clip}",
    "upsample_tags": "/suno/act/tags",
}
_GETS = frozenset({"upload_status", "clip_timing", "clip_wav", "clip_mp4", "clip_midi"})


def submit_request(submit: SunoSubmit) -> UpstreamRequest:
    body = {key: value for key, value in submit.body.items() if key not in ("notify_hook", "task_id")}
    if submit.origin is not None:
        body["task_id"] = submit.origin
    return UpstreamRequest("POST", f"/suno/submit/{submit.action}", body)


def fetch_request(upstream_ids: list[str]) -> UpstreamRequest:
    return UpstreamRequest("POST", "/suno/fetch", {"ids": upstream_ids})


def account_request(call: SunoAccountCall) -> UpstreamRequest:
    path = _ACCOUNT_PATHS[call.operation].replace("{id}", quote(call.upload_id or "", safe=""))
    path = path.replace("{clip}", quote(call.clip_id or "", safe=""))
    if call.operation in _GETS:
        return UpstreamRequest("GET", path)
    return UpstreamRequest("POST", path, dict(call.body))


def _data(envelope: Any) -> Any:
    if not isinstance(envelope, dict) or envelope.get("code") != "success":
        raise UpstreamError("the Suno upstream answered something that is not a success envelope")
    return envelope.get("data")


def accepted_from(envelope: Any) -> SunoAccepted:
    """The task a submit started (``data`` is its id)."""
    task_id = _data(envelope)
    if not isinstance(task_id, str) or not task_id:
        raise UpstreamError("the Suno upstream accepted a submit without answering its task id")
    return SunoAccepted(upstream_id=task_id)


def _progress(value: Any) -> int:
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return min(100, int(value[:-1]))
    return 0


def _ms(value: Any) -> int | None:
    """Unix seconds (0: not yet) as the engine's milliseconds."""
    return value * 1000 if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _result(data: Any) -> dict[str, Any]:
    if isinstance(data, list):
        return {"data": [clip_from_feed(clip) for clip in data if isinstance(clip, Mapping)]}
    if isinstance(data, Mapping):
        return {"data": {key: data.get(key) for key in ("id", "status", "title", "text")}}
    return {}


def state_from(task: Mapping[str, Any]) -> tuple[str, UpstreamState] | None:
    """(upstream id, state) of one 2A task, or None when it says nothing (not a task, ``UNKNOWN``)."""
    task_id, status = task.get("task_id"), _STATUSES.get(str(task.get("status")))
    if not isinstance(task_id, str) or status is None:
        return None
    reason = task.get("fail_reason") or None
    if status == Status.FAILURE and not reason:
        reason = "The upstream reported a failure without a reason."
    state = UpstreamState(
        status=status,
        progress=_progress(task.get("progress")),
        fail_reason=str(reason) if reason else None,
        result=_result(task.get("data")),
        start_time=_ms(task.get("start_time")),
        finish_time=_ms(task.get("finish_time")),
    )
    return task_id, state


def states_from(envelope: Any) -> dict[str, UpstreamState]:
    """States of the tasks a ``POST /suno/fetch`` answered; ids it left out are not in it."""
    tasks = _data(envelope)
    found: dict[str, UpstreamState] = {}
    for task in tasks if isinstance(tasks, list) else []:
        pair = state_from(task) if isinstance(task, Mapping) else None
        if pair is not None:
            found[pair[0]] = pair[1]
    return found
