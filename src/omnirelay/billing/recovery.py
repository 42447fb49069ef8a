"""Recovery: release the reservations that a stopped process left open, and only those.

A reservation belongs to the process that wrote its ``reserve`` entry (``ledger_entries.instance``)
for as long as that process renews its lease (:mod:`omnirelay.billing.instances`). Its holds are
released once that lease ran out, by whichever process notices first: at start-up
(:func:`release_stale_reservations`, a scan of all open reservations) and then every lease
period (:func:`release_expired_owners`, the holds of expired processes only, by index). A
reservation written before owners were recorded is released by age (``reservation_timeout_s``),
as before. A task's hold is the task engine's to close, whoever reserved it.

The store refuses a second closing entry for one reservation (``uq_ledger_entries_closing``):
two processes releasing the same hold at once, or a release racing its owner's late settle,
leave one close; the loser's transaction fails and changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.background import cancel_and_wait, every
from omnirelay.billing.balances import Balances, External
from omnirelay.billing.instances import Instance
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import accounts, api_keys, instances, ledger_entries, tasks

__all__ = ["OwnerSweeper", "Released", "release_expired_owners", "release_stale_reservations"]

log = structlog.get_logger(__name__)


class Released(NamedTuple):
    account_id: int
    key_id: int | None
    amount: int


_CLOSING_KINDS = ("settle", "refund", "release")


def _open_reservations() -> tuple[sa.Select[Any], Any]:
    """Reserve entries with no closing entry and no task holding them; and the alias to filter on."""
    reserve = ledger_entries.alias("r")
    closing = sa.select(sa.literal(1)).where(
        ledger_entries.c.request_id == reserve.c.request_id,
        ledger_entries.c.kind.in_(_CLOSING_KINDS),
    )
    # a task's hold is the task engine's to close, however long the task runs
    held_by_task = sa.select(sa.literal(1)).where(tasks.c.id == reserve.c.request_id, tasks.c.billing == "reserved")
    query = sa.select(reserve.c.account_id, reserve.c.key_id, reserve.c.request_id, reserve.c.amount).where(
        reserve.c.kind == "reserve", ~sa.exists(closing), ~sa.exists(held_by_task)
    )
    return query, reserve


def _lease_cutoff(lease_s: float) -> int:
    return now_ms() - int(lease_s * 1000)


async def _post_releases(conn: AsyncConnection, rows: list[Any], by: str) -> list[Released]:
    released = [Released(r.account_id, r.key_id, -r.amount) for r in rows]
    now = now_ms()
    await conn.execute(
        sa.insert(ledger_entries),
        [
            {"account_id": r.account_id, "key_id": r.key_id, "request_id": row.request_id, "kind": "release"}
            | {"amount": r.amount, "created_at": now, "instance": by}
            for r, row in zip(released, rows, strict=True)
        ],
    )
    for r in released:
        await conn.execute(
            sa.update(accounts).where(accounts.c.id == r.account_id).values(balance=accounts.c.balance + r.amount)
        )
        if r.key_id is not None:
            await conn.execute(
                sa.update(api_keys).where(api_keys.c.id == r.key_id).values(spent=api_keys.c.spent - r.amount)
            )
    return released


async def _release(
    engine: AsyncEngine, query: sa.Select[Any], forget: sa.ColumnElement[bool], by: str, external: External
) -> list[Released]:
    """Release what ``query`` finds and forget the ``instances`` rows it covered, in one transaction;
    then post the releases to ``external`` (its accounts are guarded before the commit).

    Another process releasing the same holds at the same moment makes this one fail: it then
    releases nothing (the other did), and the next round finds whatever is left."""
    try:
        async with engine.begin() as conn:
            rows = (await conn.execute(query)).all()
            await external.guard({r.account_id for r in rows})
            released = await _post_releases(conn, rows, by) if rows else []
            await conn.execute(sa.delete(instances).where(forget))
    except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
        log.info(
            "releasing reservations must wait (another process released them first, or the store is busy)",
            error=str(exc.orig),
        )
        return []
    for r in released:
        external.post(r.account_id, r.key_id, r.amount)
    return released


async def release_stale_reservations(
    engine: AsyncEngine, external: External, *, older_than_s: float, lease_s: float, by: str
) -> list[Released]:
    """At start-up: release every open reservation whose owner's lease ran out.

    An owner is alive while its heartbeat is newer than ``lease_s``; a reservation without an
    owner (written before schema 0005) is released when older than ``older_than_s``. ``by`` is
    the releasing process. Returns what was released."""
    query, reserve = _open_reservations()
    cutoff = _lease_cutoff(lease_s)
    owner_alive = sa.select(sa.literal(1)).where(
        instances.c.id == reserve.c.instance, instances.c.heartbeat_at >= cutoff
    )
    legacy = sa.and_(reserve.c.instance.is_(None), reserve.c.created_at < now_ms() - int(older_than_s * 1000))
    orphaned = sa.and_(reserve.c.instance.is_not(None), ~sa.exists(owner_alive))
    forget = instances.c.heartbeat_at < cutoff
    return await _release(engine, query.where(sa.or_(legacy, orphaned)), forget, by, external)


async def release_expired_owners(engine: AsyncEngine, external: External, *, lease_s: float, by: str) -> list[Released]:
    """Every lease period: release the open reservations of the processes whose lease ran out."""
    cutoff = _lease_cutoff(lease_s)
    async with engine.connect() as conn:
        expired = list(await conn.scalars(sa.select(instances.c.id).where(instances.c.heartbeat_at < cutoff)))
    if not expired:
        return []
    query, reserve = _open_reservations()
    forget = sa.and_(instances.c.id.in_(expired), instances.c.heartbeat_at < cutoff)
    return await _release(engine, query.where(reserve.c.instance.in_(expired)), forget, by, external)


class OwnerSweeper:
    """Every lease period, release the holds of the processes whose lease ran out."""

    def __init__(
        self,
        engine: AsyncEngine,
        instance: Instance,
        balances: Balances,
        released: Callable[[], Awaitable[None]],
    ) -> None:
        self._engine = engine
        self._instance = instance
        self._balances = balances
        self._released = released
        """Called after a release (a process counting balances in memory re-seeds them from the store)."""
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> list[Released]:
        async with self._balances.external() as external:
            released = await release_expired_owners(
                self._engine, external, lease_s=self._instance.lease_s, by=self._instance.id
            )
        if released:
            log.warning("released the holds of a gateway process whose lease ran out", count=len(released))
            await self._released()
        return released

    def start(self) -> None:
        failure = "releasing the holds of stopped processes failed; will retry"
        run = every(self._instance.lease_s, self.sweep, log=log, failure=failure)
        self._task = asyncio.create_task(run, name="omnirelay-owner-sweep")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
