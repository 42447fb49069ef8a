"""Who is calling a Kling route (``Authorization: Bearer <omnirelay key>``), and the base URL of its links."""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.access_log import note_caller
from omnirelay.api.public_base import public_base
from omnirelay.families.kling.services import KlingServices
from omnirelay.relay.auth import Caller, authenticate, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["base_url", "caller_of", "services"]


def services(runtime: Runtime) -> KlingServices:
    """This family's services on the runtime serving the request."""
    return runtime.tasks.service("kling", KlingServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    runtime: Runtime = request.app.state.runtime
    client = request.client.host if request.client else None
    caller = authenticate(runtime.catalog.snapshot, bearer_token(request.headers.get("authorization")), client)
    note_caller(request.scope, caller)
    return runtime, caller


def base_url(request: Request, runtime: Runtime) -> str:
    """``server.public_url``, else the address this request arrived on; never its Host header."""
    return public_base(request, runtime.settings.server)
