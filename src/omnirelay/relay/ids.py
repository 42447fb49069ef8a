"""Request ids: unique across processes (random prefix per process), cheap per request (a counter)."""

from __future__ import annotations

import itertools
import secrets

__all__ = ["RequestIds"]


class RequestIds:
    def __init__(self) -> None:
        self._prefix = "req_" + secrets.token_hex(6)
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"
