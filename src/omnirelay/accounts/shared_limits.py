"""Key limits counted in Redis, so that every gateway process admits against the same numbers.

**Windows.** RPM and TPM are token buckets refilled continuously (capacity = the limit, refill =
limit per minute), exactly as in memory (``accounts/limits.py``): a key behaves the same with one
process or ten. A bucket is a sliding window without its memory cost: two numbers per key where a
sliding log keeps one entry per request, and no double burst at the edge of two fixed windows.
Time is Redis's own (``TIME`` in the script), so clocks of the processes need not agree.

**Concurrency** is a sorted set of leases (one per call in flight) scored by their expiry. Each
process renews the leases of its calls every ``lease_s / 3``; a process killed mid-call stops
renewing, and its slots free themselves ``lease_s`` later, when the next admission sweeps them.

**Round trips.** Admission is one script that checks all three limits and reserves (a request,
a lease). Release is one script that frees the lease and charges the call's tokens; it is sent
without waiting (fire-and-forget): the call is over, and a release lost to a Redis error only
costs a lease that expires and tokens not counted. A key without limits never reaches Redis.

**Redis unreachable.** Limits are counted in this process (``relay.limits_on_redis_outage =
"local"``, fail-open to per-process limits) or keys with a limit get 503 ``limits_unavailable``
(``"refuse"``, fail-closed); one warning when it starts, one line when Redis is back
(:class:`~omnirelay.redis_link.RedisLink`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
from collections.abc import Awaitable

import redis.asyncio as aioredis

from omnirelay.accounts.keys import KeyRecord
from omnirelay.accounts.limits import (
    Admission,
    KeyLimiter,
    check_usable,
    concurrency_refused,
    rpm_refused,
    tpm_refused,
)
from omnirelay.errors import StoreUnavailable
from omnirelay.redis_link import RedisLink

__all__ = ["RedisLimiter"]

_BUCKETS = """
local function level(field, cap, now)
  local v = redis.call('HMGET', KEYS[1], field, field .. 't')
  local l, s = tonumber(v[1]), tonumber(v[2])
  if not l then return cap end
  return math.min(cap, l + (now - s) * cap / 60000)
end
local function keep(now, field, l, cap)
  redis.call('HSET', KEYS[1], field, tostring(l), field .. 't', now)
  local need = math.ceil((cap - l) * 60000 / cap) + 1000
  if redis.call('PTTL', KEYS[1]) < need then redis.call('PEXPIRE', KEYS[1], need) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
"""Shared by both scripts: bucket levels in hash KEYS[1] (fields r/rt, t/tt), kept until full again."""

_ADMIT = (
    _BUCKETS
    + """
local rpm, tpm, conc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if conc > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= conc then return {1, 1000} end
end
if tpm > 0 then
  local k = level('t', tpm, now)
  if k <= 0 then return {2, math.ceil(-k * 60000 / tpm) + 1} end
end
if rpm > 0 then
  local r = level('r', rpm, now)
  if r < 1 then return {3, math.ceil((1 - r) * 60000 / rpm)} end
  keep(now, 'r', r - 1, rpm)
end
if conc > 0 then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[4])
  redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]) * 2)
end
return {0, 0}
"""
)
"""KEYS: buckets, leases; ARGV: rpm, tpm, concurrency (0: none), lease id, lease ms.
Returns {0} admitted, or {1 concurrency | 2 tpm | 3 rpm, retry after ms}."""

_RELEASE = (
    _BUCKETS
    + """
if ARGV[3] ~= '' then redis.call('ZREM', KEYS[2], ARGV[3]) end
local tpm, tokens = tonumber(ARGV[1]), tonumber(ARGV[2])
if tpm > 0 and tokens > 0 then keep(now, 't', level('t', tpm, now) - tokens, tpm) end
return 0
"""
)
"""KEYS: buckets, leases; ARGV: tpm (0: none), tokens used, lease id ('' none)."""

_RENEW = """
local t = redis.call('TIME')
local until_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', until_ms, ARGV[i + 1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[1]) * 2)
end
return 0
"""
"""KEYS: the lease sets, ARGV: lease ms, then one lease id per key."""


class RedisLimiter:
    """Implements :class:`~omnirelay.accounts.limits.Limiter` for every process on one Redis."""

    def __init__(self, url: str, prefix: str, *, refuse_on_outage: bool = False, lease_s: float = 30.0) -> None:
        self._link = RedisLink(url, "key limits (rpm, tpm, concurrency)", "this process's own counts")
        self._admit = self._link.client.register_script(_ADMIT)
        self._release = self._link.client.register_script(_RELEASE)
        self._renew = self._link.client.register_script(_RENEW)
        self._prefix = f"{prefix}:limits:"
        self._local = KeyLimiter()
        self._refuse = refuse_on_outage
        self._lease_ms = max(1000, int(lease_s * 1000))
        self._ids = (f"{secrets.token_hex(4)}:{n}" for n in itertools.count())
        self._leases: dict[str, int] = {}
        """Leases of this process's calls in flight (lease id -> key id): renewed until released."""
        self._renewer: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()

    def admit(self, key: KeyRecord) -> Admission | Awaitable[Admission]:
        if key.rpm is None and key.tpm is None and key.max_concurrency is None:
            return self._local.admit(key)
        if not self._link.usable:
            return self._outage(key)
        return self._admit_shared(key)

    def _outage(self, key: KeyRecord) -> Admission:
        check_usable(key)
        if self._refuse:
            raise StoreUnavailable(
                "This key's rate limits are counted in Redis, which is unreachable; retry in a moment.",
                code="limits_unavailable",
            )
        return self._local.admit(key)

    async def _admit_shared(self, key: KeyRecord) -> Admission:
        check_usable(key)
        lease = next(self._ids) if key.max_concurrency is not None else ""
        args: list[str | int] = [key.rpm or 0, key.tpm or 0, key.max_concurrency or 0, lease, self._lease_ms]
        try:
            refused, retry_ms = await self._admit(keys=self._keys(key.id), args=args)
        except aioredis.RedisError as exc:
            self._link.failed(exc)
            return self._outage(key)
        self._link.answered()
        if refused:
            raise _refusal(key, int(refused), int(retry_ms) / 1000)
        if lease:
            self._leases[lease] = key.id
            self._start_renewing()
        return Admission(key, lease=lease or None, shared=True)

    def release(self, admission: Admission, tokens_used: int) -> None:
        if not admission.shared:
            self._local.release(admission, tokens_used)
            return
        if admission.released:
            return
        admission.released = True
        key, lease = admission.key, admission.lease or ""
        self._leases.pop(lease, None)
        if not lease and (key.tpm is None or tokens_used <= 0):
            return
        task = asyncio.get_running_loop().create_task(self._send_release(key, tokens_used, lease))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _send_release(self, key: KeyRecord, tokens_used: int, lease: str) -> None:
        try:
            await self._release(keys=self._keys(key.id), args=[key.tpm or 0, tokens_used, lease])
        except aioredis.RedisError as exc:  # the lease expires by itself; the tokens go uncounted
            self._link.failed(exc)

    def _keys(self, key_id: int) -> list[str]:
        return [f"{self._prefix}{key_id}:buckets", f"{self._prefix}{key_id}:leases"]

    def _start_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_forever())

    async def _renew_forever(self) -> None:
        while self._leases:
            await asyncio.sleep(self._lease_ms / 3000)
            leases = list(self._leases.items())
            if not leases:
                return
            keys = [self._keys(key_id)[1] for _, key_id in leases]
            try:
                args: list[str | int] = [self._lease_ms, *(lease for lease, _ in leases)]
                await self._renew(keys=keys, args=args)
            except aioredis.RedisError as exc:
                self._link.failed(exc)

    async def close(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._link.close()


def _refusal(key: KeyRecord, reason: int, retry_after: float) -> Exception:
    if reason == 1 and key.max_concurrency is not None:
        return concurrency_refused(key.max_concurrency)
    if reason == 2 and key.tpm is not None:
        return tpm_refused(key.tpm, retry_after)
    if reason == 3 and key.rpm is not None:
        return rpm_refused(key.rpm, retry_after)
    return StoreUnavailable(f"The shared limits answered an unknown refusal ({reason}).", code="limits_unavailable")
