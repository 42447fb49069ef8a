"""What every fake Suno handler shares: the call it gets, the refusal it raises, and how each route family
renders success and errors.

Error shapes: newapi's envelope ``{"code", "message", "data": null}``; the raw Suno routes it
passes through (uploads, persona, ``/act/timing|midi|tags``) answer Suno's ``{"detail": ...}``;
gcui-art answers ``{"error": ...}``, prefixed ``"API Error: "`` on the routes that catch upstream
errors that way (except 402, whose detail goes through bare); the upload target answers S3 XML.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.testing._fake_suno_clips import Clip
from omnirelay.testing._fake_suno_engine import SunoEngine
from omnirelay.testing._fake_suno_knobs import FakeSunoKnobs

__all__ = [
    "SATURATED",
    "Call",
    "Handler",
    "Refusal",
    "RouteSpec",
    "Shape",
    "charge",
    "complete_clip",
    "json_response",
    "ok_envelope",
    "render",
    "submit_gate",
    "text_field",
]

Shape = Literal["envelope", "detail", "gcui", "gcui-api", "s3"]
SATURATED = "当前分组上游负载已饱和，请稍后再试"
"""new-api's message for any 429 of a task relay ("the group's upstream is saturated, try later")."""


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it: JSON body (``{}`` when not an object), base URL, path and query."""

    body: dict[str, Any]
    base_url: str
    params: dict[str, str]
    query: dict[str, str]
    request: Request


Handler = Callable[[Call], Awaitable[Response]]
RouteSpec = tuple[str, str, Handler, Shape]
"""A route of one dialect: path, method, handler, and the shape its errors take."""


class Refusal(Exception):
    """An error answer: HTTP ``status``, ``message`` and (newapi envelope) ``code``."""

    def __init__(self, status: int, message: str, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def ok_envelope(data: Any) -> Response:
    return json_response({"code": "success", "message": "", "data": data})


def render(refusal: Refusal, shape: Shape) -> Response:
    if shape == "envelope":
        return json_response({"code": refusal.code, "message": refusal.message, "data": None}, refusal.status)
    if shape == "detail":
        return json_response({"detail": refusal.message}, refusal.status)
    if shape == "s3":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{refusal.code}</Code><Message>{refusal.message}</Message></Error>"
        )
        return Response(xml, status_code=refusal.status, media_type="application/xml")
    prefixed = shape == "gcui-api" and refusal.status != 402
    return json_response({"error": f"API Error: {refusal.message}" if prefixed else refusal.message}, refusal.status)


def submit_gate(knobs: FakeSunoKnobs, newapi: bool) -> None:
    """Raise what a saturated or failing upstream answers a submit (``queue_full``, ``fail_next``)."""
    if knobs.queue_full:
        if newapi:
            raise Refusal(429, SATURATED, "fail_to_fetch_task")
        raise Refusal(429, "Too many running jobs: wait for one of your songs to finish (fake: queue_full).")
    if knobs.fail_next > 0:
        knobs.fail_next -= 1
        if newapi:
            raise Refusal(500, "the upstream request failed (fake: fail_next)", "do_request_failed")
        raise Refusal(500, "Internal Server Error (fake: fail_next)")


def charge(engine: SunoEngine, newapi: bool) -> None:
    """Take a music task's credits, or raise newapi's 403 ``quota_not_enough`` / gcui's 402."""
    if engine.charge():
        return
    if newapi:
        raise Refusal(403, "user quota is not enough", "quota_not_enough")
    raise Refusal(402, "Insufficient credits: the fake upstream's credits knob is below 10.")


def text_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""


def complete_clip(engine: SunoEngine, clip_id: object, field: str, *, unknown_status: int = 400) -> Clip:
    """The finished clip ``clip_id`` names, or a refusal that names ``field`` and what is wrong with it."""
    if not isinstance(clip_id, str) or not clip_id:
        raise Refusal(400, f"{field} is required: the id of a finished clip")
    clip = engine.clips.get(clip_id)
    if clip is None:
        raise Refusal(unknown_status, f"{field}: no clip {clip_id!r} on this account")
    if clip.status != "complete":
        raise Refusal(400, f"{field}: clip {clip_id!r} is {clip.status}, not complete yet")
    return clip
