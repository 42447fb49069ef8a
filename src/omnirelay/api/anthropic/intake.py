"""Who is calling an Anthropic-family endpoint: the key in ``x-api-key`` or ``Authorization: Bearer``.

The SDK sends ``x-api-key`` (``ANTHROPIC_API_KEY``) or a bearer token (``ANTHROPIC_AUTH_TOKEN``);
either is the omnirelay key, never forwarded upstream.
"""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.api.access_log import note_caller
from omnirelay.errors import AuthenticationFailed
from omnirelay.relay.auth import Caller, authenticate, bearer_token
from omnirelay.runtime import Runtime

__all__ = ["identify_anthropic"]


def identify_anthropic(request: Request) -> tuple[Runtime, Caller]:
    """The runtime and the authenticated caller (401/403 raised here)."""
    runtime: Runtime = request.app.state.runtime
    token = request.headers.get("x-api-key") or bearer_token(request.headers.get("authorization"))
    if not token:
        raise AuthenticationFailed(
            "You didn't provide an API key. Send it as 'x-api-key: sk-...' (or 'Authorization: Bearer sk-...').",
            code="missing_api_key",
        )
    client = request.client.host if request.client else None
    caller = authenticate(runtime.catalog.snapshot, token, client)
    note_caller(request.scope, caller)
    return runtime, caller
