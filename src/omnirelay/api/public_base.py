"""The base URL this gateway puts in links and in the callback URLs it gives upstreams.

``server.public_url`` when set. Otherwise the address of the socket the request arrived on
(``scope["server"]``, filled in by the server from the connection, not from the request):
one of the gateway's own addresses. Never the ``Host`` or ``X-Forwarded-*`` headers: a client
choosing them could have upstream callbacks (and their tokens) sent to a host of its own.
"""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.settings import ServerSettings

__all__ = ["public_base"]


def public_base(request: Request, server: ServerSettings) -> str:
    if server.public_url:
        return server.public_url.rstrip("/")
    scheme = "https" if request.scope.get("scheme") == "https" else "http"
    local = request.scope.get("server")
    host, port = (local[0], local[1]) if local and local[1] is not None else (server.host, server.port)
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}"
