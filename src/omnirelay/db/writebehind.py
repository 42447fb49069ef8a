"""Write-behind: the hot path appends rows in memory; a background task commits them in batches.

Ledger entries, the balance and key-spend deltas they imply, and request logs are committed
in ONE transaction per batch, in arrival order, so the store's invariant
``accounts.balance == sum(ledger_entries.amount)`` holds after every commit. A batch that
fails to commit while the database is away is kept, in order, and tried again on the next
tick. A batch the database refuses while it is up holds a row it will never take: the batch
is committed piece by piece (halves, then quarters... down to single rows, each with its own
balance changes) and the rows still refused are set aside as dead letters
(:mod:`omnirelay.db.deadletters`), so one bad row never blocks or loses the ones behind it.
A row the store would take but corrupt (SQLite turns an integer beyond 64 bits into a REAL) is
set aside before it is tried: a ledger amount beyond ``MAX_AMOUNT``, a log number beyond 64 bits.
At shutdown, what the database cannot take any more is written to the spill file.

:meth:`WriteBehind.commit_now` is the group commit for what must be durable before the
client hears back (a task and its hold): it wakes the flusher at once and waits for the
batch that carries it; concurrent callers share one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.background import cancel_and_wait
from omnirelay.billing.amounts import MAX_AMOUNT
from omnirelay.db.deadletters import DeadLetters
from omnirelay.db.tables import accounts, api_keys, ledger_entries, request_logs
from omnirelay.integers import INT64_MAX

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
    instance: str | None = None
    """The gateway process that wrote it: a reserve's owner (``billing/instances.py``)."""


def key_spend_delta(row: LedgerRow) -> int:
    """How much an entry adds to its key's spend (top-ups are not spending)."""
    return 0 if row.key_id is None or row.kind == "topup" else -row.amount


_Row = LedgerRow | dict[str, Any]
"""A buffered row: a ledger entry, or a request log."""


def _unstorable(row: _Row) -> str | None:
    """Why the store must not be given ``row`` (it would refuse it, or keep it wrong), if so."""
    if isinstance(row, LedgerRow):
        if type(row.amount) is not int or not -MAX_AMOUNT <= row.amount <= MAX_AMOUNT:
            return f"a ledger amount must be a whole number within +-{MAX_AMOUNT}; got {row.amount!r}"
        return None
    for name, value in row.items():
        if isinstance(value, int) and not -INT64_MAX - 1 <= value <= INT64_MAX:
            return f"{name} {value} does not fit a 64-bit integer"
    return None


@dataclass(slots=True)
class _Durable:
    rows: list[tuple[sa.Table, dict[str, Any]]]
    entries: list[LedgerRow]
    done: asyncio.Future[None]


class WriteBehind:
    def __init__(
        self, engine: AsyncEngine, *, flush_interval_s: float, batch_size: int, spill_path: Path | None = None
    ) -> None:
        self._engine = engine
        self._dead = DeadLetters(engine, spill_path)
        self._interval = flush_interval_s
        self._batch_size = batch_size
        self._entries: list[LedgerRow] = []
        self._logs: list[dict[str, Any]] = []
        self._account_delta: defaultdict[int, int] = defaultdict(int)
        self._key_delta: defaultdict[int, int] = defaultdict(int)
        self._durable: list[_Durable] = []
        self._unstorable: list[tuple[_Row, str]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.lock = asyncio.Lock()
        """Held while committing; hold it to read the store and :meth:`pending_*` consistently."""

    def add_entry(self, row: LedgerRow) -> None:
        if self._set_aside(row):
            return
        self._entries.append(row)
        self._account_delta[row.account_id] += row.amount
        if row.key_id is not None:
            self._key_delta[row.key_id] += key_spend_delta(row)
        self._maybe_wake()

    async def commit_now(self, rows: list[tuple[sa.Table, dict[str, Any]]], entries: list[LedgerRow]) -> None:
        """Commit ``rows`` and ``entries`` in the next batch and return once it is durable.

        If that batch fails, this raises and nothing of it is kept (the caller undoes its holds).
        """
        reasons = [reason for entry in entries if (reason := _unstorable(entry))]
        if reasons:
            raise ValueError(f"refused before the store: {reasons[0]}")
        item = _Durable(rows, entries, asyncio.get_running_loop().create_future())
        self._durable.append(item)
        self._wake.set()
        await asyncio.shield(item.done)

    def add_log(self, row: dict[str, Any]) -> None:
        if self._set_aside(row):
            return
        self._logs.append(row)
        self._maybe_wake()

    def _set_aside(self, row: _Row) -> bool:
        """Keep a row the store must not be given for the dead letters (the next flush persists it)."""
        reason = _unstorable(row)
        if reason is None:
            return False
        self._unstorable.append((row, reason))
        self._wake.set()
        return True

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
        unstorable, self._unstorable = self._unstorable, []
        for row, reason in unstorable:
            await self._dead.put(*_dead_letter(row), ValueError(reason))
        if not self._entries and not self._logs and not self._durable:
            return
        entries, logs, durable = self._entries, self._logs, self._durable
        self._entries, self._logs, self._durable = [], [], []
        self._account_delta.clear()
        self._key_delta.clear()
        try:
            async with self._engine.begin() as conn:
                await _insert_durable(conn, durable)
                await _commit(conn, entries, logs)
        except Exception as exc:  # noqa: BLE001 - which rows failed, and why, is sorted out next
            await self._salvage(entries, logs, durable, exc)
            return
        except BaseException as exc:
            self._restore([*entries, *logs])
            _resolve(durable, exc)
            raise
        _resolve(durable, None)

    async def _salvage(
        self, entries: list[LedgerRow], logs: list[dict[str, Any]], durable: list[_Durable], exc: Exception
    ) -> None:
        """The batch failed: keep it when the store is away (and raise), else commit what the store takes."""
        if not await self._reachable():
            self._restore([*entries, *logs])
            _resolve(durable, exc)
            raise exc
        log.error("the store refused a write-behind batch; committing it piece by piece", error=repr(exc))
        for item in durable:  # each alone; a refused one raises to its caller, who undoes its holds
            _resolve([item], await _attempt(self._engine, functools.partial(_insert_durable, durable=[item])))
        await self._commit_apart([*entries, *logs])

    async def _commit_apart(self, rows: list[_Row]) -> None:
        """Commit ``rows`` in halves, recursively, in order; set aside a single row the store refuses twice."""
        pending = [rows]
        while pending:
            chunk = pending.pop()
            commit = functools.partial(_commit_rows, rows=chunk)
            error = await _attempt(self._engine, commit)
            if error is None:
                continue
            if len(chunk) > 1:
                half = len(chunk) // 2
                pending += [chunk[half:], chunk[:half]]
                continue
            if await _attempt(self._engine, commit) is None:
                continue  # a passing failure (a deadlock, a dropped connection) is not a dead letter
            if not await self._reachable():
                self._restore([*chunk, *(row for rest in reversed(pending) for row in rest)])
                raise error
            await self._dead.put(*_dead_letter(chunk[0]), error)

    async def _reachable(self) -> bool:
        try:
            async with self._engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any failure means the store is away
            return False
        return True

    def _restore(self, rows: list[_Row]) -> None:
        """Put rows back at the head of the buffer, in order, with the balance changes they imply."""
        entries = [row for row in rows if isinstance(row, LedgerRow)]
        self._entries[:0] = entries
        self._logs[:0] = [row for row in rows if not isinstance(row, LedgerRow)]
        for entry in entries:
            self._account_delta[entry.account_id] += entry.amount
            if entry.key_id is not None:
                self._key_delta[entry.key_id] += key_spend_delta(entry)

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
        """Stop the flusher and commit everything buffered; what the store cannot take goes to the spill file."""
        await cancel_and_wait(self._task)
        self._task = None
        try:
            await self.flush()
        except Exception as exc:  # noqa: BLE001 - the store is away: keep the rows on disk, not in a dying process
            async with self.lock:
                rows: list[_Row] = [*self._entries, *self._logs]
                self._entries, self._logs = [], []
                self._account_delta.clear()
                self._key_delta.clear()
                await self._dead.spill([_dead_letter(row) for row in rows], exc)


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
        await _commit(conn, entries, [])


async def _attempt(engine: AsyncEngine, work: Callable[[AsyncConnection], Awaitable[None]]) -> Exception | None:
    """Run ``work`` in a transaction of its own; the error if it failed."""
    try:
        async with engine.begin() as conn:
            await work(conn)
    except Exception as exc:  # noqa: BLE001 - the caller decides what a failure means
        return exc
    return None


async def _commit_rows(conn: AsyncConnection, rows: list[_Row]) -> None:
    entries = [row for row in rows if isinstance(row, LedgerRow)]
    await _commit(conn, entries, [row for row in rows if not isinstance(row, LedgerRow)])


def _dead_letter(row: _Row) -> tuple[str, dict[str, Any]]:
    if isinstance(row, LedgerRow):
        return "ledger_entry", dataclasses.asdict(row)
    return "request_log", row


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


async def _commit(conn: AsyncConnection, entries: list[LedgerRow], logs: list[dict[str, Any]]) -> None:
    """Insert ``entries`` and ``logs`` and apply the balance and key-spend changes the entries imply."""
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
                    "instance": e.instance,
                }
                for e in entries
            ],
        )
    await _apply_deltas(conn, *_deltas(entries))
    if logs:
        await _insert(conn, request_logs, logs)


def _deltas(entries: list[LedgerRow]) -> tuple[dict[int, int], dict[int, int]]:
    accounts_: defaultdict[int, int] = defaultdict(int)
    keys: defaultdict[int, int] = defaultdict(int)
    for e in entries:
        accounts_[e.account_id] += e.amount
        if e.key_id is not None:
            keys[e.key_id] += key_spend_delta(e)
    return dict(accounts_), dict(keys)


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
