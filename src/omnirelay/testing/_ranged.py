"""Files as a fake upstream serves them: whole, or the one byte range asked for (206), as CDNs do."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["ranged_file"]

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def ranged_file(request: Request, content: bytes, media_type: str) -> Response:
    """The file, or the one byte range asked for (206): Safari plays media only from servers that serve ranges."""
    match = _RANGE.fullmatch(request.headers.get("range", "").strip())
    headers = {"Accept-Ranges": "bytes"}
    if match is None or match.groups() == ("", ""):
        return Response(content, media_type=media_type, headers=headers)
    first, last = match.groups()
    size = len(content)
    start = int(first) if first else max(0, size - int(last))
    end = min(size - 1, int(last)) if first and last else size - 1
    if start >= size or start > end:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(content[start : end + 1], status_code=206, media_type=media_type, headers=headers)
