"""Failed sign-ins counted per user name and per client address, in this process.

After ``per_user`` failures of one name (or ``per_ip`` from one address) within ``window_s``,
further attempts are refused with 429 before the password is even checked, until the oldest
failure leaves the window. A success clears the name's count. With several gateway processes
each counts its own attempts (a guesser spread over N processes gets N times the budget).
"""

from __future__ import annotations

import math
import time
from collections import deque

from omnirelay.errors import RateLimited

__all__ = ["LoginLimiter"]

_MAX_TRACKED = 100_000


class LoginLimiter:
    def __init__(self, per_user: int, per_ip: int, window_s: float) -> None:
        self._limits = {"user": per_user, "ip": per_ip}
        self._window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def check(self, login: str, ip: str | None) -> None:
        """Raise :class:`RateLimited` (with Retry-After) when the name or the address is out of attempts."""
        now = time.monotonic()
        for kind, value in self._subjects(login, ip):
            times = self._recent(kind, value, now)
            if len(times) >= self._limits[kind]:
                retry = max(1, math.ceil(times[0] + self._window_s - now))
                raise RateLimited(
                    f"Too many failed sign-ins; try again in {retry} seconds.",
                    retry_after=retry,
                    code="too_many_sign_ins",
                )

    def failed(self, login: str, ip: str | None) -> None:
        now = time.monotonic()
        if len(self._failures) > _MAX_TRACKED:
            self._forget_stale(now)
        for kind, value in self._subjects(login, ip):
            self._failures.setdefault((kind, value), deque()).append(now)

    def succeeded(self, login: str) -> None:
        self._failures.pop(("user", login.strip().lower()), None)

    def _subjects(self, login: str, ip: str | None) -> list[tuple[str, str]]:
        subjects = [("user", login.strip().lower())]
        if ip:
            subjects.append(("ip", ip))
        return subjects

    def _recent(self, kind: str, value: str, now: float) -> deque[float]:
        times = self._failures.get((kind, value), deque())
        while times and times[0] <= now - self._window_s:
            times.popleft()
        return times

    def _forget_stale(self, now: float) -> None:
        for subject in [s for s, t in self._failures.items() if not t or t[-1] <= now - self._window_s]:
            del self._failures[subject]
