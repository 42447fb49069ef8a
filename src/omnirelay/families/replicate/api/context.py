"""Who is calling a Replicate route (``Authorization: Bearer <key>``, or the older ``Token <key>``)."""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.callers import base_url, identify
from omnirelay.families.replicate.services import ReplicateServices
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime

__all__ = ["base_url", "caller_of", "prefix_of", "services"]


def _token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() not in ("bearer", "token"):
        return None
    return token.strip() or None


def services(runtime: Runtime) -> ReplicateServices:
    """This family's services on the runtime serving the request."""
    return runtime.tasks.service("replicate", ReplicateServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    return identify(request, _token(request.headers.get("authorization")))


def prefix_of(request: Request) -> str:
    """``/replicate/v1`` or ``/v1``: the prefix the client used, which its ``urls`` keep."""
    return "/replicate/v1" if request.scope["path"].startswith("/replicate/") else "/v1"  # no URL object to build
