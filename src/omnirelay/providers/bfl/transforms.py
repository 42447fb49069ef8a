"""Pure transforms between the BFL family's neutral terms and BFL's own wire (spec §4.1).

* A submit goes to ``POST /v1/{model}`` (the channel's model map applied) with the body as the client
  sent it; the answer's ``id`` becomes the upstream id ``{id}|{key tag}|{polling path}``: the tag
  (:func:`key_tag`, a digest, never the key) names the key that made the task, which polls it (a
  channel's keys may be different BFL accounts), and the ``polling_url``'s path is kept when it names
  the channel's own host and differs from ``/v1/get_result?id={id}`` (and fits the store's 100
  characters). A ``polling_url`` on any other host is never followed (it came from the upstream's
  answer: following it would let the upstream aim the gateway anywhere); such tasks are polled at the
  channel's ``/v1/get_result?id=``.
* A ``ResultResponse`` becomes an :class:`UpstreamState` (§0): ``Pending`` (running once it reports
  ``progress``), ``Ready``, and ``Error``/``Request Moderated``/``Content Moderated`` as failures whose
  BFL status the family shows again. ``Task not found`` says nothing the engine can use: a task the
  upstream lost ends at its deadline, refunded.
* An error answer (FastAPI's ``{"detail": ...}``) becomes an error of the one tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import orjson

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.families.bfl.upstream import BflSubmit
from omnirelay.tasks.model import Status, UpstreamState

__all__ = [
    "MAX_UPSTREAM_ID",
    "UpstreamRequest",
    "accepted_id",
    "error_for",
    "key_tag",
    "parse_upstream_id",
    "parsed",
    "poll_url",
    "state_from",
    "submit_request",
]

_FAILED = {
    "Error": "The upstream reported an error.",
    "Request Moderated": "The upstream's moderation refused the request.",
    "Content Moderated": "The upstream's moderation refused the generated image.",
}
MAX_UPSTREAM_ID = 100
"""The store keeps upstream ids of at most this many characters (a longer polling path is not kept)."""
_KEPT = ("prompt", "seed", "start_time", "end_time", "duration")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class UpstreamRequest:
    method: Literal["GET", "POST"]
    url: str
    body: Mapping[str, Any] | None = None


def parsed(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def submit_request(base_url: str, submit: BflSubmit, upstream_model: str | None) -> UpstreamRequest:
    body = {key: value for key, value in submit.body.items() if key not in ("webhook_url", "webhook_secret")}
    return UpstreamRequest("POST", f"{base_url}/v1/{quote(upstream_model or submit.model)}", body)


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    return (parts.scheme, (parts.hostname or "").lower(), port) if parts.hostname else None


def _polling_path(polling_url: Any, base_url: str) -> str | None:
    """The path and query of ``polling_url`` when it is on the channel's own scheme, host and port."""
    if not isinstance(polling_url, str) or _origin(polling_url) is None or _origin(polling_url) != _origin(base_url):
        return None
    parts = urlsplit(polling_url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and "|" not in path else None


def key_tag(secret: str) -> str:
    """A short digest naming a channel key in upstream ids (the key itself is never stored there)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def accepted_id(answer: Any, base_url: str, tag: str) -> str:
    """The upstream id for a submit's answer ``{id, polling_url}`` made with the key tagged ``tag``."""
    task_id = answer.get("id") if isinstance(answer, Mapping) else None
    if not isinstance(task_id, str) or not task_id or "|" in task_id:
        raise UpstreamError("the BFL upstream accepted a request without answering its id")
    plain = f"{task_id}|{tag}|"
    pathed = plain + (_polling_path(answer.get("polling_url"), base_url) or "")
    if len(pathed) > MAX_UPSTREAM_ID or poll_url(base_url, pathed) == poll_url(base_url, plain):
        return plain  # the default path says the same, or the path would not fit the store's column
    return pathed


def parse_upstream_id(value: str) -> tuple[str, str, str]:
    """(BFL task id, key tag, polling path or "") of an upstream id."""
    task_id, _, rest = value.partition("|")
    tag, _, path = rest.partition("|")
    return task_id, tag, path


def poll_url(base_url: str, upstream_id: str) -> str:
    """Where to ask about a task: its polling path on the channel's host, else ``/v1/get_result?id=``."""
    task_id, _, path = parse_upstream_id(upstream_id)
    if path:
        parts = urlsplit(base_url)
        return f"{parts.scheme}://{parts.netloc}{path}"
    return f"{base_url}/v1/get_result?id={quote(task_id, safe='')}"


def _progress(value: Any) -> int:
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return 0
    percent = value * 100 if value <= 1 else value
    return max(1, min(99, int(percent)))


def _ready(result: Any) -> UpstreamState:
    sample = result.get("sample") if isinstance(result, Mapping) else None
    if not isinstance(sample, str) or not sample.startswith(("http://", "https://")):
        return UpstreamState(status=Status.FAILURE, progress=0, fail_reason="The upstream was Ready without a sample.")
    assert isinstance(result, Mapping)
    kept = {key: result[key] for key in _KEPT if result.get(key) is not None}
    return UpstreamState(status=Status.SUCCESS, progress=100, result={"sample": sample, **kept})


def _failed(status: str, details: Any) -> UpstreamState:
    shown = dict(details) if isinstance(details, Mapping) else {}
    reason = _FAILED[status]
    if status == "Error" and isinstance(details, str | Mapping) and details:
        reason = f"{reason} {details if isinstance(details, str) else orjson.dumps(details).decode()}"[:500]
    return UpstreamState(
        status=Status.FAILURE, progress=0, fail_reason=reason, result={"bfl_status": status, "details": shown}
    )


def state_from(answer: Any) -> UpstreamState | None:
    """The state a ``ResultResponse`` says, or None when it says nothing the engine can use."""
    status = answer.get("status") if isinstance(answer, Mapping) else None
    if not isinstance(answer, Mapping) or not isinstance(status, str):
        return None
    if status == "Pending":
        progress = _progress(answer.get("progress"))
        return UpstreamState(status=Status.IN_PROGRESS if progress else Status.SUBMITTED, progress=progress)
    if status == "Ready":
        return _ready(answer.get("result"))
    if status in _FAILED:
        return _failed(status, answer.get("details"))
    return None


def _message(raw: bytes) -> str:
    body = parsed(raw)
    detail = body.get("detail") if isinstance(body, Mapping) else None
    if isinstance(detail, str) and detail:
        return detail
    if isinstance(detail, list) and detail:
        first = detail[0]
        if isinstance(first, Mapping):
            where = ".".join(str(p) for p in first.get("loc", []) if p != "body")
            return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return raw[:500].decode(errors="replace") or "no message"


def error_for(status: int, raw: bytes, channel: str) -> UpstreamError:
    """The error to raise for a BFL answer with HTTP ``status`` >= 400."""
    message = _message(raw)
    if status in (401, 403):
        return UpstreamAuthFailed(f"upstream {channel} refused the channel's key ({status}): {message}")
    if status in (402, 408, 409, 429) or status >= 500:  # credits, concurrency, its own trouble: another channel
        return UpstreamError(f"upstream {channel} answered {status}: {message}", code=f"upstream_{status}")
    return UpstreamRejected(message, status_code=status, type="invalid_request_error", code="bfl_rejected", param=None)
