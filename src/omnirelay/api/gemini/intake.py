"""What every Gemini handler does first: find the key, identify the caller, split the path's target,
read the body (its bytes kept: a Gemini upstream gets them as they came).

The key comes in ``x-goog-api-key`` (what Google's SDKs and Gemini CLI send) or ``?key=`` (the
access log redacts it); ``Authorization: Bearer`` is accepted too. The target is the path's last
segment, ``{model}:{method}``: the method follows the last colon, so model names that contain
colons (``llama3:8b``) keep them.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from omnirelay.api.access_log import note_caller, note_model
from omnirelay.api.body import read_body
from omnirelay.errors import AuthenticationFailed, InvalidRequest, NotFound
from omnirelay.relay.auth import Caller, authenticate, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["gemini_key", "identify", "parse_body", "split_target"]


def gemini_key(request: Request) -> str | None:
    """The caller's key in any of the places a Gemini client puts it."""
    return (
        request.headers.get("x-goog-api-key")
        or request.query_params.get("key")
        or bearer_token(request.headers.get("authorization"))
    )


def identify(request: Request) -> tuple[Runtime, Caller]:
    """The runtime and the authenticated caller (a missing or refused key raised here)."""
    runtime: Runtime = request.app.state.runtime
    token = gemini_key(request)
    if not token:
        raise AuthenticationFailed("No API key: send it as 'x-goog-api-key' or '?key='.", code="missing_api_key")
    client = request.client.host if request.client else None
    caller = authenticate(runtime.catalog.snapshot, token, client)
    note_caller(request.scope, caller)
    return runtime, caller


def split_target(request: Request) -> tuple[str, str]:
    """``(model, method)`` of ``.../models/{model}:{method}``; 404 when the path names no method."""
    target = str(request.path_params["target"]).removeprefix("models/")
    model, colon, method = target.rpartition(":")
    if not colon or not model or not method:
        raise NotFound(f"Method not found: {request.method} {request.url.path}. Use models/{{model}}:{{method}}.")
    note_model(request.scope, model)
    return model, method


async def parse_body(request: Request, runtime: Runtime) -> tuple[bytes, Any]:
    """The body's bytes (relayed as they are to Gemini upstreams) and its JSON."""
    raw = await read_body(request, runtime.settings.server.max_body_bytes)
    try:
        return raw, orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"Invalid JSON payload received. {exc}.") from exc
