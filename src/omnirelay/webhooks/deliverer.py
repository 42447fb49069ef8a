"""The delivery worker: sends due outbox rows, signed, in order per task, retrying on a schedule.

Only the oldest pending message of a task can be claimed, so a task's events arrive in
order even across several worker processes (claims are leases taken with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL). Any 2xx is success; anything else, a 3xx
included (redirects are never followed), is retried after the next delay of the schedule;
410 Gone stops at once. ``Retry-After`` on 429/503 is honoured when it asks for longer.
An event :attr:`Deliverer.retried` says is sent once (Replicate's intermediate ones) fails at its
first refusal, so the task's later events go on.

The session is the outbound guard's (:class:`~omnirelay.outbound.fetch.OutboundClient`): its
resolver refuses private addresses again at connect time (no DNS rebinding after the check),
and it never decompresses; at most ``_DRAIN`` bytes of an answer are read.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.background import cancel_and_wait
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import webhook_attempts, webhook_deliveries
from omnirelay.settings import WebhookSettings
from omnirelay.webhooks.destinations import DestinationRefused, check_destination, parse_networks
from omnirelay.webhooks.hooks import AccountHooks
from omnirelay.webhooks.signing import signed_headers

__all__ = ["Deliverer"]

log = structlog.get_logger(__name__)
_d = webhook_deliveries
_GATHER_S = 0.01
_DRAIN = 64 * 1024
"""Most bytes of a receiver's answer read (and ignored); a receiver cannot make a delivery hold more."""
_RECORD = (
    sa.update(_d)
    .where(_d.c.id == sa.bindparam("did"))
    .values(
        status=sa.bindparam("st"),
        attempts=_d.c.attempts + 1,
        next_attempt_at=sa.bindparam("due"),
        delivered_at=sa.bindparam("at"),
        last_status=sa.bindparam("code"),
        last_error=sa.bindparam("err"),
        lease_until=None,
        lease_owner=None,
    )
)
_INSERT_ATTEMPT = sa.insert(webhook_attempts)


@dataclass(frozen=True, slots=True)
class _Outcome:
    delivery: Any
    status_code: int | None
    error: str | None
    duration_ms: int
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Deliverer:
    def __init__(
        self,
        engine: AsyncEngine,
        http: aiohttp.ClientSession,
        hooks: AccountHooks,
        settings: WebhookSettings,
        owner: str,
    ) -> None:
        self._engine = engine
        self._http = http
        self._hooks = hooks
        self._settings = settings
        self._owner = owner
        self._allowed = parse_networks(settings.allow_networks)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pg = engine.dialect.name == "postgresql"
        self._claim_stmt = _claim_statement(lock=self._pg)
        self.retried: Callable[[str], bool] = _always
        """Whether a refused delivery of this event name is tried again (set once families are built)."""

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="omnirelay-webhooks")

    async def release_leases(self) -> None:
        """At start on SQLite (one worker by definition): deliveries a killed process had claimed are
        due again now, instead of after their lease (``timeout_s`` + 30 s), which would hold every
        later message of the same task behind them."""
        async with self._engine.begin() as conn:
            await conn.execute(
                sa.update(_d)
                .where(_d.c.status == "pending", _d.c.lease_owner.is_not(None))
                .values(lease_owner=None, lease_until=None)
            )

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
            try:
                await self._drain()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be away for a moment; try again on the next tick
                log.exception("webhook delivery round failed")

    async def _drain(self) -> None:
        """Rounds until nothing is due; a short pause first lets a burst of changes share one round."""
        while True:
            await asyncio.sleep(_GATHER_S)
            self._wake.clear()
            if not await self.deliver_due():
                return

    async def deliver_due(self) -> int:
        """One round: claim what is due, send it, record the outcomes. Returns how many were sent."""
        claimed = await self._claim(now_ms())
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self._settings.concurrency)

        async def send(row: Any) -> _Outcome:
            async with gate:
                return await self._send(row)

        outcomes = await asyncio.gather(*(send(row) for row in claimed))
        await self._record(outcomes)
        return len(outcomes)

    async def _claim(self, now: int) -> Sequence[Any]:
        lease = now + int((self._settings.timeout_s + 30) * 1000)
        params = {"now": now, "owner": self._owner, "until": lease, "n": self._settings.batch}
        async with self._engine.begin() as conn:
            return (await conn.execute(self._claim_stmt, params)).all()

    async def _send(self, row: Any) -> _Outcome:
        started = time.perf_counter()
        try:
            await check_destination(row.url, self._allowed)
            hook = await self._hooks.get(row.account_id)
            body = row.body.encode()
            headers = signed_headers(hook.secret, row.message_id, body)
            if row.headers:  # a family's own, fixed when the message was written (BFL's X-BFL-Signature)
                headers |= orjson.loads(row.headers)
            headers["content-type"] = "application/json"
            headers["user-agent"] = "omnirelay-webhooks/1"
            timeout = aiohttp.ClientTimeout(total=self._settings.timeout_s)
            async with self._http.post(
                row.url, data=body, headers=headers, allow_redirects=False, timeout=timeout
            ) as response:
                await response.content.read(_DRAIN)  # a short answer keeps the connection; a longer one drops it
                retry_after = _retry_after(response.headers.get("retry-after"))
                return _Outcome(row, response.status, None, _ms(started), retry_after)
        except DestinationRefused as exc:
            return _Outcome(row, None, exc.message, _ms(started))
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return _Outcome(row, None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))

    async def _record(self, outcomes: Sequence[_Outcome]) -> None:
        now = now_ms()
        updates = [self._next_state(o, now) for o in outcomes]
        attempts = [
            {
                "delivery_id": o.delivery.id,
                "attempted_at": now,
                "status_code": o.status_code,
                "error": o.error,
                "duration_ms": o.duration_ms,
            }
            for o in outcomes
        ]
        async with self._engine.begin() as conn:
            await conn.execute(_RECORD, updates)
            await conn.execute(_INSERT_ATTEMPT, attempts)

    def _next_state(self, outcome: _Outcome, now: int) -> dict[str, Any]:
        row = outcome.delivery
        base = {"did": row.id, "code": outcome.status_code, "err": outcome.error}
        if outcome.ok:
            return base | {"st": "delivered", "due": None, "at": now}
        schedule = self._settings.retry_schedule_s
        if outcome.status_code == 410 or row.attempts >= len(schedule) or not self.retried(row.event):
            return base | {"st": "failed", "due": None, "at": None}
        delay = max(schedule[row.attempts], outcome.retry_after_s or 0.0)
        return base | {"st": "pending", "due": now + int(delay * 1000), "at": None}


def _claim_statement(*, lock: bool) -> sa.Update:
    """The oldest pending message of each task that is due and not leased, leased to the caller."""
    now: sa.BindParameter[int] = sa.bindparam("now", type_=sa.BigInteger)
    head, other = _d.alias("d"), _d.alias("e")
    earlier = sa.select(sa.literal(1)).where(
        other.c.task_id == head.c.task_id, other.c.status == "pending", other.c.seq < head.c.seq
    )
    due = (
        sa.select(head.c.id)
        .where(
            head.c.status == "pending",
            head.c.next_attempt_at <= now,
            sa.or_(head.c.lease_until.is_(None), head.c.lease_until < now),
            ~sa.exists(earlier),
        )
        .order_by(head.c.next_attempt_at)
        .limit(sa.bindparam("n"))
    )
    if lock:
        due = due.with_for_update(skip_locked=True)
    return (
        sa.update(_d)
        .where(_d.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=sa.bindparam("owner"), lease_until=sa.bindparam("until"))
        .returning(*_d.c)
    )


def _always(event: str) -> bool:
    return True


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
