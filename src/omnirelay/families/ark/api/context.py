"""Who is calling an Ark route (``Authorization: Bearer <omnirelay key>``), and the base URL of its links."""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.callers import base_url, identify
from omnirelay.families.ark.services import ArkServices
from omnirelay.relay.auth import Caller, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["base_url", "caller_of", "services"]


def services(runtime: Runtime) -> ArkServices:
    """This family's services on the runtime serving the request."""
    return runtime.tasks.service("ark", ArkServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    return identify(request, bearer_token(request.headers.get("authorization")))
