"""Write-behind: the hot path appends rows in memory; a background task commits them in batches.

Ledger entries, the balance and key-spend deltas they imply, and request logs are committed
in ONE transaction per batch, in arrival order, so the store's invariant
``accounts.balance == sum(ledger_entries.amount)`` holds after every commit. A batch that
fails to commit (database down) is kept, in order, and tried again on the next tick.

:meth:`WriteBehind.commit_now` is the group commit for what must be durable before the
client hears back (a task and its hold): it wakes the flusher at once and waits for the
batch that carries it; concurrent callers share one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.db.tables import accounts, api_keys, ledger_entries, request_logs

__all__ = ["LedgerRow", "WriteBehind", "key_spend_delta"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class LedgerRow:
    account_id: int
    key_id: int | None
    request_id: str
    kind: str
    amount: int
    created_at: int


def key_spend_delta(row: LedgerRow) -> int:
    """How much an entry adds to its key's spend (top-ups are not spending)."""
    return 0 if row.key_id is None or row.kind == "topup" else -row.amount


@dataclass(slots=True)
class _Durable:
    rows: list[tuple[sa.Table, dict[str, Any]]]
    entries: list[LedgerRow]
    done: asyncio.Future[None]


class WriteBehind:
    def __init__(self, engine: AsyncEngine, *, flush_interval_s: float, batch_size: int) -> None:
        self._engine = engine
        self._interval = flush_interval_s
        self._batch_size = batch_size
        self._entries: list[LedgerRow] = []
        self._logs: list[dict[str, Any]] = []
        self._account_delta: defaultdict[int, int] = defaultdict(int)
        self._key_delta: defaultdict[int, int] = defaultdict(int)
        self._durable: list[_Durable] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        """Held while committing; hold it to read the store and :meth:`pending_*` consistently."""

    def add_entry(self, row: LedgerRow) -> None:
        self._entries.append(row)
        self._account_delta[row.account_id] += row.amount
        if row.key_id is not None:
            self._key_delta[row.key_id] += key_spend_delta(row)
        self._maybe_wake()

    async def commit_now(self, rows: list[tuple[sa.Table, dict[str, Any]]], entries: list[LedgerRow]) -> None:
        """Commit ``rows`` and ``entries`` in the next batch and return once it is durable.

        If that batch fails, this raises and nothing of it is kept (the caller undoes its holds).
        """
        item = _Durable(rows, entries, asyncio.get_running_loop().create_future())
        self._durable.append(item)
        self._wake.set()
        await asyncio.shield(item.done)

    def add_log(self, row: dict[str, Any]) -> None:
        self._logs.append(row)
        self._maybe_wake()

    def pending_account_delta(self, account_id: int) -> int:
        durable = sum(e.amount for d in self._durable for e in d.entries if e.account_id == account_id)
        return self._account_delta.get(account_id, 0) + durable

    def pending_key_spend(self, key_id: int) -> int:
        durable = sum(key_spend_delta(e) for d in self._durable for e in d.entries if e.key_id == key_id)
        return self._key_delta.get(key_id, 0) + durable

    @property
    def backlog(self) -> int:
        return len(self._entries) + len(self._logs)

    def _maybe_wake(self) -> None:
        if len(self._entries) + len(self._logs) >= self._batch_size:
            self._wake.set()

    async def flush(self) -> None:
        """Commit everything buffered so far; on failure keep it for the next attempt and re-raise."""
        async with self.lock:
            await self._flush_locked()

    async def _flush_locked(self) -> None:
        if not self._entries and not self._logs and not self._durable:
            return
        entries, logs, durable = self._entries, self._logs, self._durable
        acc_delta, key_delta = dict(self._account_delta), dict(self._key_delta)
        self._entries, self._logs, self._durable = [], [], []
        self._account_delta.clear()
        self._key_delta.clear()
        try:
            async with self._engine.begin() as conn:
                await _insert_durable(conn, durable)
                await _commit(conn, entries, logs, acc_delta, key_delta)
        except BaseException as exc:
            self._restore(entries, logs, acc_delta, key_delta)
            _resolve(durable, exc)
            raise
        _resolve(durable, None)

    def _restore(
        self,
        entries: list[LedgerRow],
        logs: list[dict[str, Any]],
        acc_delta: dict[int, int],
        key_delta: dict[int, int],
    ) -> None:
        self._entries[:0] = entries
        self._logs[:0] = logs
        for account_id, delta in acc_delta.items():
            self._account_delta[account_id] += delta
        for key_id, delta in key_delta.items():
            self._key_delta[key_id] += delta

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # the batch is kept; the store may come back
                log.exception("write-behind flush failed; will retry", backlog=self.backlog)
                await asyncio.sleep(self._interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="omnirelay-write-behind")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()


def _resolve(durable: list[_Durable], exc: BaseException | None) -> None:
    for item in durable:
        if item.done.done():
            continue
        if exc is None:
            item.done.set_result(None)
        else:
            item.done.set_exception(exc if isinstance(exc, Exception) else RuntimeError("commit interrupted"))


async def _insert_durable(conn: AsyncConnection, durable: list[_Durable]) -> None:
    """The group-committed rows first (a ledger entry may refer to them), then their entries."""
    if not durable:
        return
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    for item in durable:
        for table, row in item.rows:
            by_table.setdefault(table, []).append(row)
    for table, rows in by_table.items():
        await _insert(conn, table, rows)
    entries = [e for item in durable for e in item.entries]
    if entries:
        acc: defaultdict[int, int] = defaultdict(int)
        keys: defaultdict[int, int] = defaultdict(int)
        for e in entries:
            acc[e.account_id] += e.amount
            if e.key_id is not None:
                keys[e.key_id] += key_spend_delta(e)
        await _commit(conn, entries, [], dict(acc), dict(keys))


@functools.cache
def _sqlite_bulk_insert(table: sa.Table, columns: tuple[str, ...]) -> sa.TextClause:
    """One statement for a whole batch: SQLite's ``executemany`` re-takes the GIL for every row."""
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    quoted = ", ".join(f'"{c}"' for c in columns)
    return sa.text(f'INSERT INTO "{table.name}" ({quoted}) SELECT {picks} FROM json_each(:rows)')  # noqa: S608


async def _insert(conn: AsyncConnection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if conn.dialect.name != "sqlite":
        await conn.execute(sa.insert(table), rows)
        return
    # generated ids are left out; given ones (a task's id) are kept
    columns = tuple(c.name for c in table.columns if not c.primary_key or c.name in rows[0])
    packed = orjson.dumps([[row.get(c) for c in columns] for row in rows]).decode()
    await conn.execute(_sqlite_bulk_insert(table, columns), {"rows": packed})


async def _commit(
    conn: AsyncConnection,
    entries: list[LedgerRow],
    logs: list[dict[str, Any]],
    acc_delta: dict[int, int],
    key_delta: dict[int, int],
) -> None:
    if entries:
        await _insert(
            conn,
            ledger_entries,
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
    await _apply_deltas(conn, acc_delta, key_delta)
    if logs:
        await _insert(conn, request_logs, logs)


async def _apply_deltas(conn: AsyncConnection, acc_delta: dict[int, int], key_delta: dict[int, int]) -> None:
    acc_rows = [{"aid": k, "delta": v} for k, v in acc_delta.items() if v]
    if acc_rows:
        stmt = (
            sa.update(accounts)
            .where(accounts.c.id == sa.bindparam("aid"))
            .values(balance=accounts.c.balance + sa.bindparam("delta"))
        )
        await conn.execute(stmt, acc_rows)
    key_rows = [{"kid": k, "delta": v} for k, v in key_delta.items() if v]
    if key_rows:
        stmt = (
            sa.update(api_keys)
            .where(api_keys.c.id == sa.bindparam("kid"))
            .values(spent=api_keys.c.spent + sa.bindparam("delta"))
        )
        await conn.execute(stmt, key_rows)
