"""Responses the gateway keeps (``stored_responses``): per account, until the retention setting expires them.

Two kinds of row, told apart by ``input_items``:

- *gateway-held* (a chat-only upstream answered): ``input_items`` is the whole conversation as
  input items (earlier turns, then this request's input), so ``previous_response_id``, retrieve,
  delete and ``input_items`` are answered here;
- *upstream-held* (a channel with the ``responses`` option answered, and stored it itself):
  ``input_items`` is ``{"held_by": "upstream", "secret": <index>}``; the row only says whose it
  is and which channel (and which of its upstream keys: an upstream keeps responses per
  organisation) holds it, so a foreign id is a 404 and follow-ups go to the right place.

Writes stay off the hot path: :meth:`ResponsesStore.keep` puts the row in memory at once (so the
next turn on this process finds it) and a background task commits what gathered every
``writer.flush_interval_s``, in one transaction (the same rhythm as the ledger's write-behind).
A row the store could not take yet is kept and tried again. Another gateway process sees a
response once it is committed, a few milliseconds later.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from omnirelay.background import cancel_and_wait, every
from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.db.tables import stored_responses

__all__ = ["MAX_PENDING", "ResponsesStore", "StoredResponse"]

log = structlog.get_logger(__name__)

_DAY_MS = 86_400_000
_PURGE_INTERVAL_S = 3600.0
MAX_PENDING = 10_000
"""Responses waiting for the store at most (while it is away)."""


@dataclass(frozen=True, slots=True)
class StoredResponse:
    id: str
    account_id: int
    key_id: int | None
    created_at: int
    expires_at: int | None
    model: str
    channel_id: int | None
    conversation: list[dict[str, Any]] | None
    """The input items this response answered (earlier turns included); None when the upstream holds them."""
    response: dict[str, Any]
    previous_response_id: str | None = None
    secret_index: int | None = None
    """Which of the channel's secrets created an upstream-held response (None: any)."""

    @property
    def upstream_held(self) -> bool:
        return self.conversation is None

    def holder(self, channel: Channel) -> Channel:
        """``channel`` sending the secret that created this response, while the channel still has it."""
        index = self.secret_index
        if index is None or not 0 <= index < len(channel.secrets) or len(channel.secrets) == 1:
            return channel
        return channel.with_secret(index)

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_id": self.account_id,
            "key_id": self.key_id,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "model": self.model,
            "status": str(self.response.get("status") or "completed"),
            "previous_response_id": self.previous_response_id,
            "channel_id": self.channel_id,
            "input_items": self.conversation
            if self.conversation is not None
            else {"held_by": "upstream", "secret": self.secret_index},
            "response": self.response,
        }

    @classmethod
    def from_row(cls, row: Any) -> StoredResponse:
        items = row.input_items
        held = items if isinstance(items, dict) else {}
        secret = held.get("secret")
        return cls(
            id=row.id,
            account_id=row.account_id,
            key_id=row.key_id,
            created_at=row.created_at,
            expires_at=row.expires_at,
            model=row.model,
            channel_id=row.channel_id,
            conversation=items if isinstance(items, list) else None,
            response=row.response,
            previous_response_id=row.previous_response_id,
            secret_index=secret if isinstance(secret, int) else None,
        )


def _insert_new(dialect: str) -> sa.Insert:
    """``INSERT`` that skips rows whose id is already stored (SQLite and PostgreSQL)."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return insert(stored_responses).on_conflict_do_nothing(index_elements=["id"])


class ResponsesStore:
    def __init__(self, engine: AsyncEngine, *, retention_days: float, flush_interval_s: float) -> None:
        self._engine = engine
        self._retention_ms = int(retention_days * _DAY_MS)
        self._interval = flush_interval_s
        self._pending: dict[str, StoredResponse] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def expiry(self, created_at_ms: int) -> int:
        return created_at_ms + self._retention_ms

    def keep(self, record: StoredResponse) -> None:
        """Store ``record`` soon; readable at once on this process.

        While the store is away at most ``MAX_PENDING`` wait here; beyond that the oldest is dropped
        (a stored response is a convenience for the client, not money: memory stays bounded)."""
        self._pending[record.id] = record
        if len(self._pending) > MAX_PENDING:
            oldest = next(iter(self._pending))
            del self._pending[oldest]
            log.warning("stored response dropped: the store has been away too long", response_id=oldest)
        self._wake.set()

    async def get(self, response_id: str, account_id: int) -> StoredResponse | None:
        """The caller's response ``response_id``, unless it expired; another account's is None."""
        record = self._pending.get(response_id)
        if record is None:
            async with self._engine.connect() as conn:
                row = (
                    await conn.execute(sa.select(stored_responses).where(stored_responses.c.id == response_id))
                ).one_or_none()
            record = None if row is None else StoredResponse.from_row(row)
        if record is None or record.account_id != account_id:
            return None
        if record.expires_at is not None and record.expires_at <= now_ms():
            return None
        return record

    async def delete(self, response_id: str) -> None:
        async with self._lock:
            self._pending.pop(response_id, None)
            async with self._engine.begin() as conn:
                await conn.execute(sa.delete(stored_responses).where(stored_responses.c.id == response_id))

    async def flush(self) -> None:
        """Commit what :meth:`keep` gathered; what the store cannot take now is tried again later."""
        async with self._lock:
            batch = list(self._pending.values())
            if not batch:
                return
            async with self._engine.begin() as conn:
                # an id already stored (an upstream that reuses ids) keeps its first row: a duplicate
                # must not fail the batch, or nothing after it would ever be stored
                await conn.execute(_insert_new(conn.dialect.name), [r.row() for r in batch])
            for record in batch:
                if self._pending.get(record.id) is record:
                    del self._pending[record.id]

    async def purge(self) -> int:
        """Delete the expired rows; returns how many."""
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.delete(stored_responses).where(stored_responses.c.expires_at <= now_ms()))
        removed = int(result.rowcount or 0)
        if removed:
            log.info("expired stored responses removed", count=removed)
        return removed

    async def _flusher(self) -> None:
        while True:
            await self._wake.wait()
            await asyncio.sleep(self._interval)  # gather what arrives meanwhile: one transaction for all
            self._wake.clear()
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly away: keep the rows, try again
                log.exception("could not store responses yet; will retry", pending=len(self._pending))
                await asyncio.sleep(self._interval)
                self._wake.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._flusher()),
            asyncio.create_task(every(_PURGE_INTERVAL_S, self.purge, log=log, failure="purging stored responses")),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks = []
        with contextlib.suppress(Exception):
            await self.flush()
        if self._pending:
            log.warning("stored responses lost at shutdown (the store was away)", count=len(self._pending))
