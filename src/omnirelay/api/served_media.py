"""Headers for bytes the gateway relays from an upstream: they must never run as a page on its origin.

The type is the one the outbound fetch checked (an image or video type, never HTML, SVG or
XML), browsers are told not to guess another (``nosniff``), the file is named and shown
inline (``Content-Disposition``), and a sandboxing ``Content-Security-Policy`` keeps it from
running scripts or loading anything should a browser render it as a document anyway.
"""

from __future__ import annotations

import mimetypes
import re

__all__ = ["served_headers"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def served_headers(
    content_type: str, length: int | None, name: str, *, ranges: bool = False, content_range: str | None = None
) -> list[tuple[bytes, bytes]]:
    """Response headers for a relayed file called ``name`` (an extension is added from its type).

    ``ranges``: the file can be asked for in byte ranges (``Accept-Ranges: bytes``, so browsers seek);
    ``content_range``: this answer is one such range (a 206), the upstream's ``Content-Range``."""
    filename = _UNSAFE.sub("_", name) + (mimetypes.guess_extension(content_type) or "")
    headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"content-disposition", f'inline; filename="{filename}"'.encode("latin-1")),
        (b"content-security-policy", b"default-src 'none'; sandbox"),
        (b"cross-origin-resource-policy", b"cross-origin"),
        (b"cache-control", b"private, max-age=86400"),
    ]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    if ranges or content_range is not None:
        headers.append((b"accept-ranges", b"bytes"))
    if content_range is not None:
        headers.append((b"content-range", content_range.encode("latin-1")))
    return headers
