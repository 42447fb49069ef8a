"""``POST /v1/images/generations`` is Kling's image generation and OpenAI's: the body tells them apart.

A JSON object naming ``model_name`` (Kling's field), or naming no ``model`` but a field only Kling
has (``aspect_ratio``, ``negative_prompt``, ``resolution``, ``callback_url``...), is Kling's; every
other body goes to the OpenAI images route, replayed as it came (so ``{"prompt": "x"}`` keeps
OpenAI's answer: a missing ``model``). Under ``/kling/v1/images/generations`` every body is Kling's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from omnirelay.api.body import read_body
from omnirelay.errors import OmniRelayError
from omnirelay.families.kling.api.errors import error_response

__all__ = ["images_or_openai", "is_kling_body"]

_KLING_ONLY = frozenset(
    {"aspect_ratio", "negative_prompt", "image_reference", "image_fidelity", "human_fidelity", "resolution",
     "callback_url", "external_task_id"}
)  # fmt: skip

Handler = Callable[[Request], Awaitable[Response]]


def is_kling_body(raw: bytes) -> bool:
    try:
        body: Any = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return False
    if not isinstance(body, dict):
        return False
    return "model_name" in body or ("model" not in body and bool(_KLING_ONLY & body.keys()))


def _replayed(request: Request, raw: bytes) -> Request:
    """The same request with its body, already read, to be read again."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await request.receive()
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(request.scope, receive)


def images_or_openai(kling: Handler) -> Handler:
    async def handler(request: Request) -> Response:
        from omnirelay.api.openai.images import image_generations  # the OpenAI routes import the runtime late too

        try:
            raw = await read_body(request, request.app.state.runtime.settings.server.max_body_bytes)
        except OmniRelayError as exc:
            return error_response(exc)
        replayed = _replayed(request, raw)
        return await (kling if is_kling_body(raw) else image_generations)(replayed)

    return handler
