"""The two request headers of Replicate's create endpoints, parsed strictly (pure).

``Prefer: wait[=N]`` holds the request up to N seconds (1 to 60, 60 when bare);
``Cancel-After`` (``30``, ``30s``, ``5m``, ``1h30m45s``; at least 5 s) sets the prediction's
deadline. A malformed value is a 400 that names the header, never silently ignored: a client
that asked to wait or to be cut off must not get something else.
"""

from __future__ import annotations

import re

from omnirelay.errors import InvalidRequest

__all__ = ["MAX_WAIT_S", "MIN_CANCEL_AFTER_S", "cancel_after_s", "wait_s"]

MAX_WAIT_S = 60
MIN_CANCEL_AFTER_S = 5
_PREFER = re.compile(r"^wait(=([1-9]|[1-9][0-9]))?$")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def wait_s(value: str | None) -> int | None:
    """Seconds to hold the create request, or None when ``Prefer`` is absent."""
    if value is None:
        return None
    text = value.strip()
    match = _PREFER.match(text)
    if match is None or (match.group(2) and int(match.group(2)) > MAX_WAIT_S):
        raise InvalidRequest(
            f"The Prefer header {text!r} is malformed: send `wait` or `wait=N` with N from 1 to {MAX_WAIT_S}.",
            param="Prefer",
            code="invalid_prefer_header",
        )
    return int(match.group(2)) if match.group(2) else MAX_WAIT_S


def cancel_after_s(value: str | None) -> int | None:
    """The ``Cancel-After`` duration in seconds, or None when the header is absent."""
    if value is None:
        return None
    text = value.strip()
    seconds = _seconds(text)
    if seconds is None or seconds < MIN_CANCEL_AFTER_S:
        raise InvalidRequest(
            f"The Cancel-After header {text!r} is malformed: send a duration of at least {MIN_CANCEL_AFTER_S} s "
            "such as `30`, `30s`, `5m` or `1h30m45s`.",
            param="Cancel-After",
            code="invalid_cancel_after_header",
        )
    return seconds


def _seconds(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    match = _DURATION.match(text)
    if not text or match is None:
        return None
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds
