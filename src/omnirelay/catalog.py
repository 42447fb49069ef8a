"""The catalog: keys, accounts, prices and channels held in memory for the hot path.

It is rebuilt from the store whenever the configuration revision changes: at once in the
process that made the change, within ``cache_refresh_s`` in every other process (they poll
one row), and at once everywhere when Redis is configured (pub/sub).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from omnirelay.accounts.keys import KeyRecord
from omnirelay.billing.ledger import Ledger
from omnirelay.billing.prices import Price, parse_multiplier
from omnirelay.channels.crypto import SecretBox
from omnirelay.channels.model import Channel
from omnirelay.channels.options import opened_options
from omnirelay.db.tables import (
    accounts,
    admin_tokens,
    api_keys,
    channels,
    config_revision,
    group_multipliers,
    prices,
)
from omnirelay.db.writebehind import WriteBehind
from omnirelay.providers.registry import stored_base_url

__all__ = ["Catalog", "Snapshot"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Snapshot:
    revision: int = -1
    keys_by_hash: dict[str, KeyRecord] = field(default_factory=dict)
    account_groups: dict[int, str] = field(default_factory=dict)
    prices: dict[str, Price] = field(default_factory=dict)
    multipliers: dict[str, Fraction] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    by_model: dict[str, list[Channel]] = field(default_factory=dict)
    admin_hashes: frozenset[str] = frozenset()

    def multiplier(self, group: str) -> Fraction:
        return self.multipliers.get(group, Fraction(1))


async def _read_revision(conn: AsyncConnection) -> int:
    value = await conn.scalar(sa.select(config_revision.c.value).where(config_revision.c.id == 1))
    return int(value or 0)


def _index_channels(rows: list[Channel]) -> dict[str, list[Channel]]:
    by_model: defaultdict[str, list[Channel]] = defaultdict(list)
    for channel in rows:
        for model in channel.models:
            by_model[model].append(channel)
    return dict(by_model)


class Catalog:
    def __init__(self, engine: AsyncEngine, box: SecretBox, ledger: Ledger, writer: WriteBehind) -> None:
        self._engine = engine
        self._box = box
        self._ledger = ledger
        self._writer = writer
        self.snapshot = Snapshot()
        self._task: asyncio.Task[None] | None = None

    def _channel(self, row: Any) -> Channel:
        channel = Channel.from_row(row, self._box.open(row["secrets"]), stored_base_url)
        channel.options = opened_options(row["options"], self._box)
        return channel

    async def reload(self) -> None:
        """Rebuild the snapshot and the ledger's balances from the store."""
        async with self._writer.lock, self._engine.connect() as conn:
            revision = await _read_revision(conn)
            snapshot = await self._load(conn, revision)
            balances = {r.id: r.balance for r in await conn.execute(sa.select(accounts.c.id, accounts.c.balance))}
            spent = {r.id: r.spent for r in await conn.execute(sa.select(api_keys.c.id, api_keys.c.spent))}
            await self._ledger.load(balances, spent)
        self.snapshot = snapshot

    async def _load(self, conn: AsyncConnection, revision: int) -> Snapshot:
        key_rows = (await conn.execute(sa.select(api_keys))).mappings().all()
        chan_rows = (await conn.execute(sa.select(channels))).mappings().all()
        loaded = [self._channel(r) for r in chan_rows]
        return Snapshot(
            revision=revision,
            keys_by_hash={r["key_hash"]: KeyRecord.from_row(r) for r in key_rows},
            account_groups={r.id: r.group for r in await conn.execute(sa.select(accounts.c.id, accounts.c.group))},
            prices={r["model"]: Price.from_row(r) for r in (await conn.execute(sa.select(prices))).mappings()},
            multipliers={
                r.group: parse_multiplier(r.multiplier) for r in await conn.execute(sa.select(group_multipliers))
            },
            channels={c.id: c for c in loaded},
            by_model=_index_channels(loaded),
            admin_hashes=frozenset(await conn.scalars(sa.select(admin_tokens.c.key_hash))),
        )

    async def _poll_once(self) -> None:
        async with self._engine.connect() as conn:
            revision = await _read_revision(conn)
        if revision != self.snapshot.revision:
            await self.reload()

    async def _watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self._poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly away; keep serving the last snapshot
                log.exception("catalog refresh failed")

    def start(self, interval_s: float) -> None:
        self._task = asyncio.create_task(self._watch(interval_s), name="omnirelay-catalog")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
