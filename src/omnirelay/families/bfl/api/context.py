"""Who is calling a BFL route (``x-key: <omnirelay key>``, BFL's own header, or ``Authorization: Bearer``),
and the base URL of its links."""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.callers import base_url, identify
from omnirelay.families.bfl.services import BflServices
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["base_url", "caller_of", "services"]


def services(runtime: Runtime) -> BflServices:
    """This family's services on the runtime serving the request."""
    return runtime.tasks.service("bfl", BflServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    key = request.headers.get("x-key", "").strip() or None
    return identify(request, key or bearer_token(request.headers.get("authorization")))
