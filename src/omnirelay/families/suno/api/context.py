"""Who is calling a ``/suno/*`` route (``Authorization: Bearer <key>``), and the base URL of its links."""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.callers import base_url, identify
from omnirelay.families.suno.services import SunoServices
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["base_url", "caller_of", "services"]


def services(runtime: Runtime) -> SunoServices:
    """This family's services on the runtime serving the request."""
    return runtime.tasks.service("suno", SunoServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    return identify(request, bearer_token(request.headers.get("authorization")))
