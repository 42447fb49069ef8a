"""Who may use the operator console: a signed-in user with the ``operator`` flag; anyone else gets 403."""

from __future__ import annotations

from starlette.requests import Request

from omnirelay.console.guard import Viewer, viewer
from omnirelay.errors import PermissionDenied

__all__ = ["ADMIN_PATH", "operator"]

ADMIN_PATH = "/console/admin"


async def operator(request: Request) -> Viewer:
    """The signed-in operator (a POST must carry the CSRF token); a customer is refused with 403
    ``operator_only`` (shown as the error page by ``guarded``)."""
    seen = await viewer(request)
    if not seen.principal.user.operator:
        raise PermissionDenied("Only operators can open this page.", code="operator_only")
    return seen
