"""File URLs inside a prediction's output, in one fixed order, so the n-th can be served by number (pure).

The output is any JSON (a URL, a list of URLs, an object of them, text); every string that is
an http(s) URL is a file. Clients get the gateway's signed ``/replicate/files/{id}/{n}`` link
in its place (:mod:`.wire`), and :mod:`.media` finds the upstream's URL back by ``n``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["file_urls", "rewritten"]


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def file_urls(output: Any) -> list[str]:
    """The file URLs of ``output``, depth first, in the order :func:`rewritten` numbers them."""
    found: list[str] = []

    def keep(_n: int, url: str) -> str:
        found.append(url)
        return url

    rewritten(output, keep)
    return found


def rewritten(output: Any, link: Callable[[int, str], str]) -> Any:
    """``output`` with its n-th file URL replaced by ``link(n, url)``."""
    counter = [0]

    def walk(value: Any) -> Any:
        if _is_url(value):
            n = counter[0]
            counter[0] += 1
            return link(n, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(output)
