"""Per-key request, token and concurrency limits, enforced in memory on the hot path.

Requests per minute and tokens per minute are token buckets refilled continuously; a call
is admitted while the token bucket is positive and pays its real token count afterwards,
so one large call may overdraw the bucket and delay the next ones (as OpenAI's limits do).

Each limit is a whole number of at least 1, or None for no limit: 0 is refused where limits
enter (admin API, CLI, settings file; :func:`checked_limit`), since "no requests at all" is
what disabling the key means. A 0 or negative limit stored before that rule (or written into
the store by hand) makes the key refuse every call with a 403 naming the limit, never a crash.

:class:`KeyLimiter` counts in this process; with Redis, ``accounts/shared_limits.py`` counts the
same buckets for every process (the :class:`Limiter` protocol is what the gate sees).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from omnirelay.accounts.keys import KeyRecord
from omnirelay.errors import InvalidRequest, PermissionDenied, RateLimited
from omnirelay.integers import INT32_MAX

__all__ = [
    "LIMIT_FIELDS",
    "Admission",
    "KeyLimiter",
    "Limiter",
    "check_usable",
    "checked_limit",
    "concurrency_refused",
    "rpm_refused",
    "tpm_refused",
]

LIMIT_FIELDS = ("rpm", "tpm", "max_concurrency")


def checked_limit(name: str, value: object) -> int | None:
    """A key's ``rpm``, ``tpm`` or ``max_concurrency`` as given, or a 400 saying what to send instead."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= INT32_MAX:
        raise InvalidRequest(
            f"{name} must be a whole number from 1 to {INT32_MAX}, or null for no limit "
            "(to stop a key from making calls, disable it).",
            param=name,
        )
    return value


def _unusable(key: KeyRecord) -> str | None:
    """The first of the key's limits that admits nothing (0 or less), if any."""
    for name in LIMIT_FIELDS:
        value = getattr(key, name)
        if value is not None and value < 1:
            return f"{name} = {value}"
    return None


def check_usable(key: KeyRecord) -> None:
    """403 when one of the key's limits admits nothing: no call of it may start."""
    unusable = _unusable(key)
    if unusable is not None:
        raise PermissionDenied(
            f"This key's limit {unusable} admits no calls; the operator must set it to at least 1, or null.",
            code="key_limit_unusable",
        )


def concurrency_refused(limit: int) -> RateLimited:
    return RateLimited(
        f"Too many concurrent requests for this key (limit {limit}); retry when one finishes.",
        retry_after=1,
        code="concurrency_limit_exceeded",
    )


def tpm_refused(limit: int, retry_after: float) -> RateLimited:
    return RateLimited(
        f"Tokens-per-minute limit of {limit} reached for this key.",
        retry_after=retry_after,
        code="tokens_per_minute_exceeded",
    )


def rpm_refused(limit: int, retry_after: float) -> RateLimited:
    return RateLimited(
        f"Requests-per-minute limit of {limit} reached for this key.",
        retry_after=retry_after,
        code="requests_per_minute_exceeded",
    )


@dataclass(slots=True)
class _Bucket:
    level: float
    stamp: float

    def refill(self, capacity: int, now: float) -> None:
        rate = capacity / 60.0
        self.level = min(float(capacity), self.level + (now - self.stamp) * rate)
        self.stamp = now


@dataclass(slots=True)
class Admission:
    key: KeyRecord
    released: bool = False
    shared: bool = False
    """Admitted in Redis (``accounts/shared_limits.py``), not in this process's memory."""
    lease: str | None = None
    """Its concurrency slot in Redis, when the key has a concurrency limit."""


class Limiter(Protocol):
    """Where a key's limits are counted: this process (:class:`KeyLimiter`) or Redis for all processes.

    ``admit`` answers at once when it can (in memory: no coroutine is made on the hot path) and
    with an awaitable when it must ask Redis; the gate awaits only the latter."""

    def admit(self, key: KeyRecord) -> Admission | Awaitable[Admission]: ...

    def release(self, admission: Admission, tokens_used: int) -> None:
        """The call ended; charge its tokens (TPM) and free its concurrency slot. Idempotent."""
        ...


class KeyLimiter:
    def __init__(self) -> None:
        self._requests: dict[int, _Bucket] = {}
        self._tokens: dict[int, _Bucket] = {}
        self._in_flight: dict[int, int] = {}

    def admit(self, key: KeyRecord) -> Admission:
        """Let one call of ``key`` start, or raise 429 with how long to wait."""
        now = time.monotonic()
        check_usable(key)
        if key.max_concurrency is not None and self._in_flight.get(key.id, 0) >= key.max_concurrency:
            raise concurrency_refused(key.max_concurrency)
        if key.tpm is not None:
            tokens = self._bucket(self._tokens, key.id, key.tpm, now)
            if tokens.level <= 0:
                raise tpm_refused(key.tpm, -tokens.level / (key.tpm / 60.0) + 0.001)
        if key.rpm is not None:
            requests = self._bucket(self._requests, key.id, key.rpm, now)
            if requests.level < 1:
                raise rpm_refused(key.rpm, (1 - requests.level) / (key.rpm / 60.0))
            requests.level -= 1
        self._in_flight[key.id] = self._in_flight.get(key.id, 0) + 1
        return Admission(key)

    def release(self, admission: Admission, tokens_used: int) -> None:
        """The call ended; charge its tokens to the TPM bucket. Idempotent."""
        if admission.released:
            return
        admission.released = True
        key = admission.key
        self._in_flight[key.id] = self._in_flight.get(key.id, 1) - 1
        if key.tpm is not None:
            self._bucket(self._tokens, key.id, key.tpm, time.monotonic()).level -= tokens_used

    @staticmethod
    def _bucket(buckets: dict[int, _Bucket], key_id: int, capacity: int, now: float) -> _Bucket:
        bucket = buckets.get(key_id)
        if bucket is None:
            bucket = buckets[key_id] = _Bucket(float(capacity), now)
        else:
            bucket.refill(capacity, now)
        return bucket
