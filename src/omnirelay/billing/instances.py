"""Gateway processes and their leases: a process owns its reservations for as long as it lives.

Every gateway process gets an id at start and a row in ``instances``; a background task renews
its ``heartbeat_at`` every ``billing.lease_s / 6``, off the request path. Each ``reserve`` entry
records the process that wrote it (``ledger_entries.instance``). Recovery releases only the holds
of a process whose lease ran out (no heartbeat for ``lease_s``: killed, frozen, or cut off from
the store); a live process's holds are its own however long its calls run. A process that stops
gracefully sets its heartbeat to 0, so what it left open is released without waiting.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.background import cancel_and_wait, every
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import instances

__all__ = ["Instance", "new_instance_id"]

log = structlog.get_logger(__name__)

_BEATS_PER_LEASE = 6


def new_instance_id() -> str:
    """``host-pid-random``, unique across restarts and machines, at most 64 characters."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


class Instance:
    """This process's row in ``instances``: :meth:`register` at start, :meth:`start` the renewals."""

    def __init__(self, engine: AsyncEngine, lease_s: float) -> None:
        self.id = new_instance_id()
        self.lease_s = lease_s
        self._engine = engine
        self._task: asyncio.Task[None] | None = None
        self._renewed = 0.0

    async def register(self) -> None:
        now = now_ms()
        async with self._engine.begin() as conn:
            await conn.execute(sa.insert(instances).values(id=self.id, started_at=now, heartbeat_at=now))
        self._renewed = time.monotonic()

    async def renew(self) -> None:
        """Move the heartbeat to now; say so loudly when the lease had already run out."""
        lapsed = time.monotonic() - self._renewed > self.lease_s
        async with self._engine.begin() as conn:
            found = await conn.execute(
                sa.update(instances).where(instances.c.id == self.id).values(heartbeat_at=now_ms())
            )
            if found.rowcount == 0:
                now = now_ms()
                await conn.execute(sa.insert(instances).values(id=self.id, started_at=now, heartbeat_at=now))
        if lapsed or found.rowcount == 0:
            log.error(
                "this process's lease ran out: another process may have released its open holds "
                "(their late settlements are refused by the store and set aside as dead letters)",
                instance=self.id,
                lease_s=self.lease_s,
            )
        self._renewed = time.monotonic()

    async def others_alive(self) -> bool:
        """Does another gateway process hold a live lease on this store?"""
        cutoff = now_ms() - int(self.lease_s * 1000)
        query = sa.select(sa.func.count()).where(instances.c.id != self.id, instances.c.heartbeat_at >= cutoff)
        async with self._engine.connect() as conn:
            return bool(await conn.scalar(query))

    def start(self) -> None:
        failure = "could not renew this process's lease"
        beat = every(self.lease_s / _BEATS_PER_LEASE, self.renew, log=log, failure=failure, instance=self.id)
        self._task = asyncio.create_task(beat, name="omnirelay-lease")

    async def stop(self) -> None:
        """Stop renewing and give the lease up: what this process left open may be released at once."""
        await cancel_and_wait(self._task)
        self._task = None
        try:
            async with self._engine.begin() as conn:
                await conn.execute(sa.update(instances).where(instances.c.id == self.id).values(heartbeat_at=0))
        except Exception:  # noqa: BLE001 - the lease then simply runs out
            log.warning("could not give up this process's lease; it runs out by itself", instance=self.id)
