"""What every OpenAI-family handler does first: identify the caller, read the body, name the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from omnirelay.api.access_log import note_caller, note_model
from omnirelay.api.body import read_json
from omnirelay.relay.auth import Caller, authenticate, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["Intake", "identify", "intake"]


@dataclass(frozen=True, slots=True)
class Intake:
    runtime: Runtime
    caller: Caller
    body: Any
    size: int
    request_id: str


def identify(request: Request) -> tuple[Runtime, Caller]:
    """The runtime and the authenticated caller (401/403 raised here)."""
    runtime: Runtime = request.app.state.runtime
    token = bearer_token(request.headers.get("authorization"))
    client = request.client.host if request.client else None
    caller = authenticate(runtime.catalog.snapshot, token, client)
    note_caller(request.scope, caller)
    return runtime, caller


async def intake(request: Request) -> Intake:
    runtime, caller = identify(request)
    body, size = await read_json(request, runtime.settings.server.max_body_bytes)
    if isinstance(body, dict):
        note_model(request.scope, body.get("model"))
    return Intake(runtime, caller, body, size, runtime.request_ids.next())
