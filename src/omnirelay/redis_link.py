"""A Redis client for state shared by every gateway process, and what it does while Redis is away.

Shared key limits (``accounts/shared_limits.py``) and shared breakers (``channels/shared_breaker.py``)
fall back to this process's memory while Redis is unreachable. An operator must see that once,
not once per request: :class:`RedisLink` logs one warning when the first command fails and one
line when Redis answers again, and skips Redis for ``retry_s`` after a failure so that an outage
does not add a failed round trip to every call.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis
import structlog
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["RedisLink", "pooled_client"]

log = structlog.get_logger(__name__)


_POOL_SIZE = 256
"""Connections one process keeps to Redis; a burst beyond waits for a free one."""


def pooled_client(url: str, *, timeout_s: float, retries: int) -> aioredis.Redis:
    """A client whose pool makes a burst wait (at most ``timeout_s``) for a free connection, where
    redis-py's default pool fails the 101st concurrent command with "Too many connections"."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=_POOL_SIZE,
        timeout=timeout_s,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), retries),
    )
    return aioredis.Redis(connection_pool=pool)


class RedisLink:
    def __init__(self, url: str, what: str, fallback: str, retry_s: float = 1.0) -> None:
        # as for balances: fail fast and retry once, one connection pool for the process
        self.client = pooled_client(url, timeout_s=2, retries=1)
        self._what = what
        self._fallback = fallback
        self._retry_s = retry_s
        self._down_until = 0.0
        self.failing = False

    @property
    def usable(self) -> bool:
        """Worth asking Redis now: it answered last time, or the pause after a failure is over."""
        return not self.failing or time.monotonic() >= self._down_until

    def failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self._retry_s
        if not self.failing:
            self.failing = True
            log.warning(
                f"Redis is unreachable: {self._what} fall back to {self._fallback} until it answers",
                error=str(exc) or type(exc).__name__,
            )

    def answered(self) -> None:
        if self.failing:
            self.failing = False
            log.info(f"Redis answers again: {self._what} are shared through it again")

    async def close(self) -> None:
        await self.client.aclose()
