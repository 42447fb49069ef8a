"""Who is calling a ``/mj/*`` route, and the base URL of the links and callbacks made for it.

Both ``Authorization`` (Bearer or raw ``sk-...``) and ``mj-api-secret`` carry the key.
"""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.callers import base_url, identify
from omnirelay.families.midjourney.services import MidjourneyServices
from omnirelay.relay.auth import Caller
from omnirelay.runtime import Runtime

__all__ = ["base_url", "caller_of", "services"]


def _token(request: Request) -> str | None:
    secret = request.headers.get("mj-api-secret")
    if secret:
        return secret.strip()
    authorization = (request.headers.get("authorization") or "").strip()
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return authorization if authorization.startswith("sk-") else None


def services(runtime: Runtime) -> MidjourneyServices:
    """This family's services on the runtime serving the request."""
    return runtime.tasks.service("midjourney", MidjourneyServices)


def caller_of(request: Request) -> tuple[Runtime, Caller]:
    return identify(request, _token(request))
