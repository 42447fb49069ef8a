"""Every read and write of the ``tasks`` table, and the one transaction that moves a task on.

A change is applied with compare-and-swap on ``version``: of two observers (a poll and an
upstream callback, or two workers) only one wins, so a task is settled or refunded once.
A finishing change writes its ledger entry and its webhook delivery in the same
transaction as the status, so a crash leaves either all of them or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.db.tables import accounts, api_keys, ledger_entries, tasks, webhook_deliveries
from omnirelay.db.writebehind import LedgerRow, key_spend_delta
from omnirelay.tasks.model import ACTIVE, Status, TaskRecord

__all__ = ["Change", "TaskStore"]

_WAITING = (*ACTIVE, Status.MODAL)

# Statements built once: constructing SQLAlchemy statements costs more than running them.
_FIELDS = [f for f in TaskRecord.__dataclass_fields__ if f != "id"]
_SWAP = (
    sa.update(tasks)
    .where(tasks.c.id == sa.bindparam("_id"), tasks.c.version == sa.bindparam("_v"))
    .values({f: sa.bindparam(f) for f in _FIELDS} | {"lease_until": None})
)
_ADD_BALANCE = (
    sa.update(accounts)
    .where(accounts.c.id == sa.bindparam("aid"))
    .values(balance=accounts.c.balance + sa.bindparam("delta"))
)
_ADD_SPENT = (
    sa.update(api_keys)
    .where(api_keys.c.id == sa.bindparam("kid"))
    .values(spent=api_keys.c.spent + sa.bindparam("delta"))
)
_INSERT_ENTRY = sa.insert(ledger_entries)
_RESCHEDULE = (
    sa.update(tasks)
    .where(tasks.c.id == sa.bindparam("tid"), tasks.c.version == sa.bindparam("v"))
    .values(next_poll_at=sa.bindparam("due"), poll_interval_ms=sa.bindparam("ival"), lease_until=None)
)


@dataclass(frozen=True, slots=True)
class Change:
    """``before`` becomes ``after``; with its money entry and webhook delivery, if any."""

    before: TaskRecord
    after: TaskRecord
    entry: LedgerRow | None = None
    delivery: dict[str, Any] | None = None


class TaskStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._pg = engine.dialect.name == "postgresql"
        self.single_process = engine.dialect.name == "sqlite"
        """SQLite: one gateway process owns the store, so what it remembers is current."""
        self._claim = _claim_statement(lock=self._pg)

    async def get(self, task_id: str) -> TaskRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(sa.select(tasks).where(tasks.c.id == task_id))).mappings().first()
        return TaskRecord.from_row(row) if row is not None else None

    async def by_ids(self, task_ids: Sequence[str]) -> list[TaskRecord]:
        if not task_ids:
            return []
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(tasks).where(tasks.c.id.in_(list(task_ids))))).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def get_many(self, task_ids: Sequence[str], account_id: int) -> list[TaskRecord]:
        if not task_ids:
            return []
        stmt = sa.select(tasks).where(tasks.c.id.in_(list(task_ids)), tasks.c.account_id == account_id)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def of_account(
        self, account_id: int, family: str, *, waiting: bool, newest_first: bool, limit: int
    ) -> list[TaskRecord]:
        """An account's tasks of one family by submit time; ``waiting``: only those not finished yet."""
        order = (tasks.c.submit_time.desc(), tasks.c.id.desc()) if newest_first else (tasks.c.submit_time, tasks.c.id)
        stmt = sa.select(tasks).where(tasks.c.account_id == account_id, tasks.c.family == family)
        if waiting:
            stmt = stmt.where(tasks.c.status.in_(_WAITING))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(*order).limit(limit))).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def page(
        self,
        account_id: int,
        family: str,
        *,
        before: tuple[int, str] | None,
        limit: int,
        submitted: tuple[int | None, int | None] = (None, None),
    ) -> list[TaskRecord]:
        """An account's tasks of one family, newest first, strictly older than ``before``
        (``(submit_time, id)`` of the last task of the previous page): a cursor that new tasks never shift.
        ``submitted``: only those submitted after and before these epoch milliseconds."""
        stmt = sa.select(tasks).where(tasks.c.account_id == account_id, tasks.c.family == family)
        since, until = submitted
        if since is not None:
            stmt = stmt.where(tasks.c.submit_time > since)
        if until is not None:
            stmt = stmt.where(tasks.c.submit_time < until)
        if before is not None:
            at, last = before
            stmt = stmt.where(sa.or_(tasks.c.submit_time < at, sa.and_(tasks.c.submit_time == at, tasks.c.id < last)))
        order = (tasks.c.submit_time.desc(), tasks.c.id.desc())
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(*order).limit(limit))).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def mentioning(self, account_id: int, family: str, needle: str, limit: int) -> list[TaskRecord]:
        """An account's tasks of one family whose result's JSON text contains ``needle``, newest first
        (a Suno clip id: the caller checks the match in the parsed result)."""
        stmt = sa.select(tasks).where(
            tasks.c.account_id == account_id,
            tasks.c.family == family,
            sa.cast(tasks.c.result, sa.Text).contains(needle, autoescape=True),
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt.order_by(tasks.c.submit_time.desc()).limit(limit))).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def by_upstream(self, channel_id: int, upstream_id: str) -> TaskRecord | None:
        stmt = sa.select(tasks).where(tasks.c.channel_id == channel_id, tasks.c.upstream_id == upstream_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).mappings().first()
        return TaskRecord.from_row(row) if row is not None else None

    async def claim_due(self, owner: str, now: int, lease_ms: int, limit: int) -> list[TaskRecord]:
        """Lease up to ``limit`` tasks due for a poll; other workers skip them until the lease ends."""
        params = {"now": now, "owner": owner, "until": now + lease_ms, "n": limit}
        async with self._engine.begin() as conn:
            rows = (await conn.execute(self._claim, params)).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def overdue(self, now: int, limit: int) -> list[TaskRecord]:
        stmt = (
            sa.select(tasks)
            .where(tasks.c.status.in_(_WAITING), tasks.c.deadline < now)
            .order_by(tasks.c.deadline)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(stmt)).mappings().all()
        return [TaskRecord.from_row(r) for r in rows]

    async def unchanged(self, records: Sequence[tuple[TaskRecord, int, int]]) -> None:
        """Reschedule polled tasks that did not change: ``(record, next_poll_at, interval_ms)``."""
        if not records:
            return
        params = [{"tid": r.id, "v": r.version, "due": due, "ival": ival} for r, due, ival in records]
        async with self._engine.begin() as conn:
            await conn.execute(_RESCHEDULE, params)

    async def clear_leases(self) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(sa.update(tasks).where(tasks.c.lease_until.is_not(None)).values(lease_until=None))

    async def apply(self, changes: Sequence[Change]) -> list[Change]:
        """Apply ``changes`` in one transaction; returns those that won their compare-and-swap."""
        if not changes:
            return []
        async with self._engine.begin() as conn:
            won = await _swap(conn, changes, lock=self._pg)
            await _write_money(conn, [c.entry for c in won if c.entry is not None])
            deliveries = [c.delivery for c in won if c.delivery is not None]
            if deliveries:
                await conn.execute(sa.insert(webhook_deliveries), deliveries)
        return won


def _claim_statement(*, lock: bool) -> sa.Update:
    now: sa.BindParameter[int] = sa.bindparam("now", type_=sa.BigInteger)
    due = (
        sa.select(tasks.c.id)
        .where(
            tasks.c.next_poll_at <= now,
            tasks.c.upstream_id.is_not(None),
            sa.or_(tasks.c.lease_until.is_(None), tasks.c.lease_until < now),
        )
        .order_by(tasks.c.next_poll_at)
        .limit(sa.bindparam("n"))
    )
    if lock:
        due = due.with_for_update(skip_locked=True)
    return (
        sa.update(tasks)
        .where(tasks.c.id.in_(due.scalar_subquery()))
        .values(lease_owner=sa.bindparam("owner"), lease_until=sa.bindparam("until"))
        .returning(*tasks.c)
    )


async def _swap(conn: AsyncConnection, changes: Sequence[Change], *, lock: bool) -> list[Change]:
    """Compare-and-swap on ``version`` for a whole batch: lock and read the versions, write the winners."""
    ids = [c.before.id for c in changes]
    current = sa.select(tasks.c.id, tasks.c.version).where(tasks.c.id.in_(ids))
    if lock:
        current = current.with_for_update()
    versions = {r.id: r.version for r in await conn.execute(current)}
    won: list[Change] = []
    for change in changes:
        if versions.get(change.before.id) == change.before.version:
            versions[change.before.id] = change.after.version  # a second change of one task in a batch chains
            won.append(change)
    if won:
        params = [
            {k: v for k, v in c.after.values().items() if k != "id"} | {"_id": c.before.id, "_v": c.before.version}
            for c in won
        ]
        await conn.execute(_SWAP, params)
    return won


async def _write_money(conn: AsyncConnection, entries: list[LedgerRow]) -> None:
    if not entries:
        return
    await conn.execute(
        _INSERT_ENTRY,
        [
            {
                "account_id": e.account_id,
                "key_id": e.key_id,
                "request_id": e.request_id,
                "kind": e.kind,
                "amount": e.amount,
                "created_at": e.created_at,
            }
            for e in entries
        ],
    )
    for e in entries:
        await conn.execute(_ADD_BALANCE, {"aid": e.account_id, "delta": e.amount})
        if e.key_id is not None:
            await conn.execute(_ADD_SPENT, {"kid": e.key_id, "delta": key_spend_delta(e)})
