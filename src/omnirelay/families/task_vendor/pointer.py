"""JSON Pointers (RFC 6901): where a vendor's answer holds its task id, status, progress and results.

A pointer is parsed once, when the vendor's configuration is loaded (a malformed one is refused
there, naming the field); reading it from an answer never raises: a missing value is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Pointer", "parse_pointer"]


@dataclass(frozen=True, slots=True)
class Pointer:
    text: str
    tokens: tuple[str, ...]

    def read(self, document: Any) -> Any:
        """The value at this pointer in ``document``, or None when there is none."""
        current = document
        for token in self.tokens:
            if isinstance(current, Mapping):
                current = current.get(token)
            elif isinstance(current, Sequence) and not isinstance(current, str | bytes):
                if not token.isdigit() or (len(token) > 1 and token.startswith("0")) or int(token) >= len(current):
                    return None
                current = current[int(token)]
            else:
                return None
            if current is None:
                return None
        return current


def _unescaped(token: str) -> str:
    if "~" in token.replace("~0", "").replace("~1", ""):
        raise ValueError("'~' must be written ~0 (and '/' inside a name ~1)")
    return token.replace("~1", "/").replace("~0", "~")


def _pointer_like(text: str) -> str:
    """The pointer an operator most likely meant: ``data.video_id`` and ``$.data.video_id`` (dotted
    paths) are ``/data/video_id``."""
    path = text.lstrip("#$").lstrip(".")
    return "/" + (path if "/" in path else path.replace(".", "/"))


def parse_pointer(text: str) -> Pointer:
    """A JSON Pointer such as ``/data/task_id`` or ``/outputs/0/url``; ValueError saying what is wrong."""
    if not isinstance(text, str):
        raise ValueError("a JSON pointer must be a string such as /data/task_id")
    if text == "":
        return Pointer(text, ())
    if not text.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/', e.g. {_pointer_like(text)}")
    return Pointer(text, tuple(_unescaped(token) for token in text[1:].split("/")))
