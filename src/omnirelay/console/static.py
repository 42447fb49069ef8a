"""The console's static files (our CSS and script, vendored htmx), served from the package."""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

from omnirelay.errors import NotFound

__all__ = ["static_file"]

_FILES = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "admin.js": "text/javascript; charset=utf-8",
    "admin.css": "text/css; charset=utf-8",
    "htmx.min.js": "text/javascript; charset=utf-8",
}


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = _FILES.get(name)
    if media_type is None:
        raise NotFound(f"No console file {name!r}.")
    body = resources.files(__package__).joinpath("static", name).read_bytes()
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=media_type, headers=headers)
