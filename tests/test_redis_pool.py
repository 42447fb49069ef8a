"""A burst of calls larger than redis-py's default pool (100) waits for connections instead of failing
with "Too many connections" (seen as 503s under a 210-call burst before the pool was made blocking)."""

from __future__ import annotations

import asyncio

import pytest
import redis
import redis.asyncio as aioredis

from conftest import REDIS_URL
from omnirelay.redis_link import pooled_client


def test_a_burst_of_300_commands_at_once_is_served_by_the_pooled_client() -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip("Redis not reachable")

    async def burst(client: aioredis.Redis) -> list[object]:
        try:  # each BLPOP holds its connection for 50 ms
            return await asyncio.gather(*(client.blpop(["omnirelay-test:empty"], timeout=0.05) for _ in range(300)))
        finally:
            await client.aclose()

    assert asyncio.run(burst(pooled_client(REDIS_URL, timeout_s=5, retries=0))) == [None] * 300
    with pytest.raises(redis.ConnectionError, match="Too many connections"):
        asyncio.run(burst(aioredis.from_url(REDIS_URL, max_connections=100)))  # redis-py's default pool
