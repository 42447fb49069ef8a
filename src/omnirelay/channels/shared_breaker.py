"""Circuit breakers shared through Redis: one replica's failures open a channel's breaker for all.

Routing asks a breaker on every call, so the answer must come from memory. Each process keeps
the local copy of :class:`~omnirelay.channels.breaker.Breakers` and keeps it current:

* its own failures and successes change the copy at once, and are sent to Redis without waiting
  (one script: count the failure, open the breaker when the count reaches the threshold, and
  publish the channel's new state); a success is sent only for a channel with failures counted;
* every process applies the published states as they arrive (Redis pub/sub), and reads the
  whole state again when it subscribes and every ``resync_s`` (5 s), in case a message was lost.

So a breaker another replica opened is seen here as fast as pub/sub delivers (well under a
millisecond on one network), and never later than ``resync_s``. Times are Redis's (``TIME``),
turned into this process's clock when a state arrives.

**Half-open.** When the cool-down ends, one process at a time makes the trial call: the first
to take ``{prefix}:breaker-trial:{channel}`` (``SET NX`` with an expiry of ``max(10 s, cool-down)``,
taken in the background: the call that finds the cool-down over is routed elsewhere, the next
one is the trial). The trial's outcome, sent as above, frees the claim; a trial that never ends
(its process died) frees it on expiry.

**Redis unreachable.** The breakers are this process's own again (what it sees, as without
Redis), with one warning, until the subscription is back (retried every second).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable

import redis.asyncio as aioredis

from omnirelay.channels.breaker import Breakers, _State
from omnirelay.redis_link import RedisLink

__all__ = ["SharedBreakers"]

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

_FAIL = (
    _NOW
    + """
local failures, open_until = 0, 0
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local f, u = string.match(raw, '(%d+):(%d+)')
  failures, open_until = tonumber(f), tonumber(u)
end
failures = failures + 1
if failures >= tonumber(ARGV[2]) then open_until = now + tonumber(ARGV[3]) end
local value = failures .. ':' .. open_until
redis.call('HSET', KEYS[1], ARGV[1], value)
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', KEYS[3], ARGV[1] .. ':' .. value .. ':' .. now)
return 0
"""
)
"""KEYS: states hash, trial claim, pub/sub channel; ARGV: channel id, threshold, cool-down ms."""

_SUCCEED = """
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', KEYS[3], ARGV[1] .. ':0:0:0')
return 0
"""

_READ = (
    _NOW
    + """
local states = redis.call('HGETALL', KEYS[1])
table.insert(states, 1, now)
return states
"""
)
"""Returns {now, channel id, 'failures:open until', ...}."""


class SharedBreakers(Breakers):
    def __init__(self, url: str, prefix: str, failures: int, cooldown_s: float, *, resync_s: float = 5.0) -> None:
        super().__init__(failures, cooldown_s)
        self._url = url
        self._link = RedisLink(url, "circuit breakers", "what this process sees")
        self._fail = self._link.client.register_script(_FAIL)
        self._succeed = self._link.client.register_script(_SUCCEED)
        self._read = self._link.client.register_script(_READ)
        self._states_key = f"{prefix}:breakers"
        self._channel = f"{prefix}:breakers-changed"
        self._trial_prefix = f"{prefix}:breaker-trial:"
        self._trial_ms = int(max(10.0, cooldown_s) * 1000)
        self._resync_s = resync_s
        self._me = secrets.token_hex(6)
        self._claims: dict[int, float] = {}
        """Channels whose trial this process claimed, until when (monotonic)."""
        self._claiming: set[int] = set()
        self._pending: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()

    def allows(self, channel_id: int) -> bool:
        state = self._states.get(channel_id)
        if state is None or state.failures < self._threshold:
            return True
        if self._link.failing:
            return super().allows(channel_id)
        now = time.monotonic()
        if now < state.open_until or state.trial_in_flight:
            return False
        if self._claims.pop(channel_id, 0.0) > now:
            state.trial_in_flight = True
            return True
        if channel_id not in self._claiming:
            self._claiming.add(channel_id)
            self._send(self._claim(channel_id))
        return False

    def record_success(self, channel_id: int) -> None:
        counted = channel_id in self._states
        super().record_success(channel_id)
        if counted and self._link.usable:
            keys = [self._states_key, f"{self._trial_prefix}{channel_id}", self._channel]
            self._send(self._succeed(keys=keys, args=[channel_id]))

    def record_failure(self, channel_id: int) -> None:
        super().record_failure(channel_id)
        self._claims.pop(channel_id, None)
        if self._link.usable:
            keys = [self._states_key, f"{self._trial_prefix}{channel_id}", self._channel]
            self._send(self._fail(keys=keys, args=[channel_id, self._threshold, int(self._cooldown * 1000)]))

    async def _claim(self, channel_id: int) -> None:
        try:
            key = f"{self._trial_prefix}{channel_id}"
            if await self._link.client.set(key, self._me, nx=True, px=self._trial_ms):
                self._claims[channel_id] = time.monotonic() + self._trial_ms / 1000 * 0.9
        finally:
            self._claiming.discard(channel_id)

    def _send(self, command: Awaitable[object]) -> None:
        task = asyncio.get_running_loop().create_task(self._sent(command))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _sent(self, command: Awaitable[object]) -> None:
        try:
            await command
        except aioredis.RedisError as exc:  # what this process saw is still counted in its own copy
            self._link.failed(exc)

    def _apply(self, channel_id: int, failures: int, open_until_ms: int, now_ms: int) -> None:
        if failures == 0:
            self._states.pop(channel_id, None)
            return
        state = self._states.setdefault(channel_id, _State())
        state.failures = failures
        state.open_until = time.monotonic() + max(0, open_until_ms - now_ms) / 1000 if open_until_ms else 0.0

    def _on_message(self, data: bytes) -> None:
        try:
            channel_id, failures, open_until_ms, now_ms = (int(part) for part in data.split(b":"))
        except ValueError:
            return
        self._apply(channel_id, failures, open_until_ms, now_ms)

    async def _resync(self) -> None:
        now_ms, *flat = await self._read(keys=[self._states_key])
        seen: set[int] = set()
        for field, value in zip(flat[::2], flat[1::2], strict=True):
            failures, _, open_until_ms = value.partition(b":")
            seen.add(int(field))
            self._apply(int(field), int(failures), int(open_until_ms), int(now_ms))
        for channel_id in set(self._states) - seen:
            self._states.pop(channel_id, None)

    async def _listen(self) -> None:
        # a client of its own, without a read timeout: a quiet subscription is not an outage
        client = aioredis.from_url(self._url, socket_connect_timeout=2)
        try:
            while True:
                try:
                    await self._follow(client)
                except (aioredis.RedisError, OSError) as exc:
                    self._link.failed(exc)
                    await asyncio.sleep(1)
        finally:
            await client.aclose()

    async def _follow(self, client: aioredis.Redis) -> None:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(self._channel)
            await self._resync()
            self._link.answered()
            self._synced.set()
            synced = time.monotonic()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._on_message(message["data"])
                if time.monotonic() - synced >= self._resync_s:
                    await self._resync()
                    synced = time.monotonic()

    async def start(self) -> None:
        """Subscribe and read the shared state (waits up to 5 s; runs on when Redis is away)."""
        self._listener = asyncio.create_task(self._listen(), name="omnirelay-shared-breakers")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._synced.wait(), 5)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._link.close()
