"""Task ids as Midjourney clients expect them: 16 digits, epoch milliseconds then three more digits."""

from __future__ import annotations

import secrets
import time

__all__ = ["TaskIds"]


class TaskIds:
    """Strictly increasing within a process, random low digits across processes."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        candidate = int(time.time() * 1000) * 1000 + secrets.randbelow(1000)
        self._last = max(candidate, self._last + 1)
        return str(self._last)
