"""Cross-process cache invalidation over Redis pub/sub (optional; polling the revision row is the fallback)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
import structlog

__all__ = ["RedisInvalidation", "channel_name", "publish_change"]

log = structlog.get_logger(__name__)


def channel_name(prefix: str) -> str:
    return f"{prefix}:config-changed"


async def publish_change(url: str, prefix: str) -> None:
    """Tell every gateway process subscribed to ``url`` to reload its catalog now."""
    client = aioredis.from_url(url)
    try:
        await client.publish(channel_name(prefix), b"1")
    finally:
        await client.aclose()


class RedisInvalidation:
    def __init__(self, url: str, prefix: str, on_change: Callable[[], Awaitable[None]]) -> None:
        self._client = aioredis.from_url(url)
        self._channel = channel_name(prefix)
        self._on_change = on_change
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    async def publish(self) -> None:
        await self._client.publish(self._channel, b"1")

    async def _listen(self) -> None:
        while True:
            try:
                async with self._client.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self._on_change()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away (an outage): polling still works; reconnect soon
                log.warning("redis invalidation listener failed; retrying", error=repr(exc))
                await asyncio.sleep(1)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="omnirelay-redis-invalidation")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), 5)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._client.aclose()
