"""Channel affinity: a conversation sticks to the channel and the upstream key that answered it.

Providers cache prompt prefixes per upstream key (OpenAI per organisation, Anthropic per
workspace, both per machine pool), so a conversation spread over channels or keys pays for its
whole prefix on every turn. The gate (``relay/gate.py``) asks :meth:`Affinity.get` for a
request's pin before routing, tries the pinned channel first while it can serve the call, and
:meth:`Affinity.put` records where the answer came from. The identity itself comes from the
request (``channels/affinity_keys.py``).

Storage is in this process's memory (bounded LRU with expiry) or, with ``redis_url``, in Redis
so every gateway process agrees (one round trip per lookup; expiry by TTL). A Redis error falls
back to the memory store with a warning: a lost pin costs a cache miss, never a failed call.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
import structlog

from omnirelay.redis_link import pooled_client

__all__ = ["Affinity", "MemoryAffinity", "Pin", "RedisAffinity", "build_affinity"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Pin:
    """Where a conversation was last answered: a channel and the index of its secret."""

    channel_id: int
    secret: int

    def encode(self) -> str:
        return f"{self.channel_id}:{self.secret}"

    @classmethod
    def decode(cls, raw: bytes | str | None) -> Pin | None:
        if raw is None:
            return None
        text = raw.decode() if isinstance(raw, bytes) else raw
        channel, _, secret = text.partition(":")
        try:
            return cls(int(channel), int(secret))
        except ValueError:
            return None


class Affinity(Protocol):
    async def get(self, key: str) -> Pin | None:
        """The pin of ``key`` (its expiry starts again), or None."""
        ...

    async def put(self, key: str, pin: Pin) -> None: ...

    async def close(self) -> None: ...


class MemoryAffinity:
    """Pins of this process: least recently used dropped beyond ``max_entries``, each expires ``ttl_s``
    after its last use."""

    def __init__(self, max_entries: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._max = max(1, max_entries)
        self._ttl = ttl_s
        self._clock = clock
        self._pins: OrderedDict[str, tuple[Pin, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pins)

    def lookup(self, key: str) -> Pin | None:
        entry = self._pins.get(key)
        if entry is None:
            return None
        now = self._clock()
        if entry[1] <= now:
            del self._pins[key]
            return None
        self._pins[key] = (entry[0], now + self._ttl)
        self._pins.move_to_end(key)
        return entry[0]

    def remember(self, key: str, pin: Pin) -> None:
        self._pins[key] = (pin, self._clock() + self._ttl)
        self._pins.move_to_end(key)
        while len(self._pins) > self._max:
            self._pins.popitem(last=False)

    async def get(self, key: str) -> Pin | None:
        return self.lookup(key)

    async def put(self, key: str, pin: Pin) -> None:
        self.remember(key, pin)

    async def close(self) -> None:
        self._pins.clear()


class RedisAffinity:
    """Pins shared by every process on one Redis: ``GETEX`` refreshes the expiry in the lookup's round trip.

    Redis bounds the size by expiry alone (``ttl_s``); set a ``maxmemory-policy`` such as
    ``volatile-lru`` to bound it harder. While Redis errs, the memory store answers instead."""

    def __init__(self, url: str, prefix: str, max_entries: int, ttl_s: float) -> None:
        # fail fast and do not retry: a pin is an optimisation, the call must not wait for it
        self._client = pooled_client(url, timeout_s=0.5, retries=0)
        self._prefix = f"{prefix}:affinity:"
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._fallback = MemoryAffinity(max_entries, ttl_s)
        self._failing = False

    def _failed(self, exc: aioredis.RedisError) -> None:
        if not self._failing:
            log.warning("channel affinity falls back to this process's memory (Redis error)", error=str(exc))
        self._failing = True

    def _recovered(self) -> None:
        if self._failing:
            log.info("channel affinity is back in Redis")
        self._failing = False

    async def get(self, key: str) -> Pin | None:
        try:
            raw = await self._client.getex(self._prefix + key, px=self._ttl_ms)
        except aioredis.RedisError as exc:
            self._failed(exc)
            return self._fallback.lookup(key)
        self._recovered()
        return Pin.decode(raw)

    async def put(self, key: str, pin: Pin) -> None:
        self._fallback.remember(key, pin)  # answers the lookups of an outage that starts now
        try:
            await self._client.set(self._prefix + key, pin.encode(), px=self._ttl_ms)
        except aioredis.RedisError as exc:
            self._failed(exc)
            return
        self._recovered()

    async def close(self) -> None:
        await self._client.aclose()


def build_affinity(redis_url: str | None, prefix: str, max_entries: int, ttl_s: float) -> Affinity:
    """In Redis when the gateway has one (every process agrees), else in this process's memory."""
    if redis_url:
        return RedisAffinity(redis_url, prefix, max_entries, ttl_s)
    return MemoryAffinity(max_entries, ttl_s)
