"""Pure translations between Midjourney-Proxy JSON and omnirelay's neutral task terms.

Both dialects are read: novicezk (HTTP 200 with an empty body for an unknown task, code
23 for a full queue) and trueai (204, code 9 for a full queue, ``Authorization`` accepted).
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.families.midjourney.upstream import MJAnswer, MJCall
from omnirelay.tasks.model import Status, UpstreamState

__all__ = ["answer_from", "proxy_path", "state_from", "submit_body", "tasks_from"]

_STATUSES = {
    "NOT_START": Status.NOT_START,
    "SUBMITTED": Status.SUBMITTED,
    "IN_PROGRESS": Status.IN_PROGRESS,
    "MODAL": Status.MODAL,
    "SUCCESS": Status.SUCCESS,
    "FAILURE": Status.FAILURE,
    "CANCEL": Status.CANCEL,
    "": Status.SUBMITTED,
}
_KEPT = ("finalPrompt", "finalZhPrompt", "messageHash", "discordInstanceId", "flags")


def proxy_path(call: MJCall) -> str:
    """``/mj/...`` or, with a speed mode, ``/mj-fast/mj/...`` (trueai's prefixes)."""
    return f"/mj-{call.mode}{call.path}" if call.mode else call.path


def submit_body(call: MJCall) -> dict[str, Any]:
    body = dict(call.body)
    if call.callback_url:
        body["notifyHook"] = call.callback_url
    return body


def answer_from(raw: bytes) -> MJAnswer | None:
    """The submit envelope, or None when the body is not one."""
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("code"), int):
        return None
    result = parsed.get("result")
    if isinstance(result, int) and not isinstance(result, bool):
        result = str(result)
    properties = parsed.get("properties")
    return MJAnswer(
        code=parsed["code"],
        description=str(parsed.get("description") or ""),
        result=result,
        properties=properties if isinstance(properties, dict) else {},
    )


def _progress(value: Any) -> int:
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        return min(100, int(value[:-1]))
    return 0


def _result(task: dict[str, Any]) -> dict[str, Any]:
    raw_properties = task.get("properties")
    properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
    result: dict[str, Any] = {
        "promptEn": task.get("promptEn"),
        "imageUrl": task.get("imageUrl") or None,
        "buttons": task.get("buttons") if isinstance(task.get("buttons"), list) else [],
        "properties": {k: properties[k] for k in _KEPT if k in properties},
    }
    result.update(_videos(task))
    if task.get("action") in ("DESCRIBE", "SHORTEN"):
        text = properties.get("finalPrompt") or task.get("promptEn") or task.get("prompt")
        result["prompt"] = text
        result["promptEn"] = text
        result["properties"]["finalPrompt"] = text
    return result


def _videos(task: dict[str, Any]) -> dict[str, Any]:
    """``videoUrl`` and ``videoUrls`` (``[{url, thumbnail}]``) of a VIDEO task, when it has any."""
    listed = task.get("videoUrls")
    clips = []
    for item in listed if isinstance(listed, list) else []:
        url = item.get("url") if isinstance(item, dict) else item
        if isinstance(url, str) and url:
            thumbnail = item.get("thumbnail") if isinstance(item, dict) else None
            clips.append({"url": url, "thumbnail": thumbnail if isinstance(thumbnail, str) and thumbnail else None})
    first = task.get("videoUrl") if isinstance(task.get("videoUrl"), str) and task.get("videoUrl") else None
    if first is None and clips:
        first = clips[0]["url"]
    if first is None:
        return {}
    return {"videoUrl": first, "videoUrls": clips or [{"url": first, "thumbnail": None}]}


def state_from(task: dict[str, Any]) -> tuple[str, UpstreamState] | None:
    """(upstream id, state) of one upstream task JSON, or None when it is not a task."""
    task_id = task.get("id")
    if isinstance(task_id, int) and not isinstance(task_id, bool):
        task_id = str(task_id)
    status = _STATUSES.get(str(task.get("status") or ""))
    if not isinstance(task_id, str) or status is None:
        return None
    fail_reason = task.get("failReason") or None
    if status == Status.FAILURE and not fail_reason:
        fail_reason = "The upstream reported a failure without a reason."
    state = UpstreamState(
        status=status,
        progress=_progress(task.get("progress")),
        fail_reason=fail_reason,
        result=_result(task),
        start_time=task.get("startTime") if isinstance(task.get("startTime"), int) else None,
        finish_time=task.get("finishTime") if isinstance(task.get("finishTime"), int) else None,
    )
    return task_id, state


def tasks_from(raw: bytes) -> dict[str, UpstreamState]:
    """States from a ``list-by-condition`` answer (a JSON array of tasks)."""
    try:
        parsed = orjson.loads(raw) if raw else []
    except orjson.JSONDecodeError:
        return {}
    found: dict[str, UpstreamState] = {}
    for item in parsed if isinstance(parsed, list) else []:
        pair = state_from(item) if isinstance(item, dict) else None
        if pair is not None:
            found[pair[0]] = pair[1]
    return found
