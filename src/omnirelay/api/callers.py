"""Who is calling a task family's route, and the base URL of the links made for it.

Each family reads the key from its own header (Bearer, ``mj-api-secret``, ``Token ...``) and
hands it here: the key is checked against the live catalog (scope, IP allow-list, expiry), the
caller is noted for the access log, and links point at ``server.public_url`` or the address the
request arrived on, never at its ``Host`` header.
"""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.access_log import note_caller
from omnirelay.api.public_base import public_base
from omnirelay.relay.auth import Caller, authenticate
from omnirelay.runtime import Runtime

__all__ = ["base_url", "identify"]


def identify(request: Request, token: str | None) -> tuple[Runtime, Caller]:
    """The runtime serving ``request`` and the caller its ``token`` belongs to (401/403 otherwise)."""
    runtime: Runtime = request.app.state.runtime
    client = request.client.host if request.client else None
    caller = authenticate(runtime.catalog.snapshot, token, client)
    note_caller(request.scope, caller)
    return runtime, caller


def base_url(request: Request, runtime: Runtime) -> str:
    """``server.public_url``, else the address this request arrived on; never its Host header."""
    return public_base(request, runtime.settings.server)
