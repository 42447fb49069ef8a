"""What the fake Replicate checks in a create and how it refuses: problem-details bodies (RFC 7807),
422 with ``invalid_fields`` for a body its schema (``additionalProperties: false``) refuses, and the
``Prefer`` and ``Cancel-After`` headers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse

from omnirelay.testing._fake_replicate_models import ModelSpec
from omnirelay.testing._fake_replicate_webhooks import EVENTS

__all__ = ["Problem", "cancel_after_s", "checked_body", "prefer_wait_s", "required_inputs"]

_PREFER = re.compile(r"^wait(=([1-9]|[1-9][0-9]|60))?$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_TOP_LEVEL = frozenset({"input", "webhook", "webhook_events_filter", "webhook_completed", "stream"})


@dataclass
class Problem(Exception):
    status: int
    title: str
    detail: str
    invalid_fields: list[dict[str, str]] | None = None
    retry_after: int | None = None

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"title": self.title, "detail": self.detail, "status": self.status}
        if self.invalid_fields is not None:
            body["invalid_fields"] = self.invalid_fields
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        return JSONResponse(body, status_code=self.status, headers=headers, media_type="application/problem+json")


def _invalid(fields: list[dict[str, str]]) -> Problem:
    detail = "\n".join(f"- {f['field'] or '(root)'}: {f['description']}" for f in fields)
    return Problem(422, "Input validation failed", detail, fields)


def checked_body(body: Any, *, with_version: bool) -> dict[str, Any]:
    """The create body, or a 422 naming every field the schema refuses."""
    if not isinstance(body, dict):
        raise _invalid([{"type": "invalid_type", "field": "", "description": "Invalid type. Expected: object"}])
    allowed = _TOP_LEVEL | {"version"} if with_version else _TOP_LEVEL
    problems = [
        {
            "type": "additional_property_not_allowed",
            "field": "",
            "description": f"Additional property {key} is not allowed",
        }
        for key in body
        if key not in allowed
    ]
    for key in ("version", "input") if with_version else ("input",):
        if key not in body:
            problems.append({"type": "required", "field": "", "description": f"{key} is required"})
    if "input" in body and not isinstance(body["input"], dict):
        problems.append({"type": "invalid_type", "field": "input", "description": "Invalid type. Expected: object"})
    problems += _webhook_problems(body)
    if problems:
        raise _invalid(problems)
    return body


def _webhook_problems(body: dict[str, Any]) -> list[dict[str, str]]:
    problems = []
    for key in ("webhook", "webhook_completed"):
        url = body.get(key)
        if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            problems.append({"type": "format", "field": key, "description": "Does not match format 'uri'"})
    events = body.get("webhook_events_filter")
    if events is not None and not (isinstance(events, list) and all(e in EVENTS for e in events)):
        description = f"Items must be one of: {', '.join(EVENTS)}"
        problems.append({"type": "enum", "field": "webhook_events_filter", "description": description})
    return problems


def required_inputs(model: ModelSpec, given: dict[str, Any]) -> None:
    """422 when the model's schema requires an input that is missing."""
    missing = [name for name in model.required if given.get(name) in (None, "")]
    if missing:
        raise _invalid(
            [{"type": "required", "field": "input", "description": f"{name} is required"} for name in missing]
        )


def prefer_wait_s(header: str | None) -> float | None:
    """Seconds ``Prefer: wait[=N]`` asks to hold the create (60 without N); None without the header."""
    if header is None:
        return None
    match = _PREFER.match(header.strip())
    if match is None:
        raise Problem(400, "Invalid Prefer header", f"Prefer must match {_PREFER.pattern}; got {header!r}")
    return float(match.group(2) or 60)


def cancel_after_s(header: str | None, minimum: float) -> float | None:
    """Seconds ``Cancel-After`` gives the prediction (``30``, ``90s``, ``5m``, ``1h30m45s``); None without it."""
    if header is None:
        return None
    text = header.strip()
    seconds: float | None = None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        seconds = float(text)
    elif text and _DURATION.sub("", text) == "":
        seconds = sum(float(number) * _UNITS[unit] for number, unit in _DURATION.findall(text))
    if seconds is None:
        raise Problem(
            400, "Invalid Cancel-After header", f"Cancel-After must be a duration like 30s, 5m or 1h30m; got {header!r}"
        )
    if seconds < minimum:
        raise Problem(400, "Invalid Cancel-After header", f"Cancel-After must be at least {minimum:g}s; got {header!r}")
    return seconds
