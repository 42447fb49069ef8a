"""The account webhook cache: one load per account at a time, and a change is never hidden by a load begun before it.

Every task submit without its own callback reads the account's webhook; when the cached entry
expires under load, the submits in flight must share one read of the row (and one unsealing of
its secret), not each make their own.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from omnirelay.channels.crypto import SecretBox
from omnirelay.db.engine import now_ms
from omnirelay.db.migrate import upgrade
from omnirelay.db.tables import accounts
from omnirelay.webhooks.hooks import AccountHooks


def _count_reads(engine: AsyncEngine) -> list[str]:
    """The statements that read ``account_webhooks``, as the store received them."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "account_webhooks" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    return seen


async def _store(tmp_path: Path) -> AsyncEngine:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(sa.insert(accounts).values(id=1, name="acme", balance=0, created_at=now_ms()))
    return engine


def test_expired_entry_is_loaded_once_for_all_waiting_readers(tmp_path: Path) -> None:
    async def run() -> tuple[int, int, set[str]]:
        engine = await _store(tmp_path)
        try:
            hooks = AccountHooks(engine, SecretBox(Fernet.generate_key().decode()), ttl_s=0.05)
            first = await hooks.get(1)  # creates the row and its secret
            reads = _count_reads(engine)
            together = await asyncio.gather(*(hooks.get(1) for _ in range(50)))  # still cached: no read
            cached = len(reads)
            await asyncio.sleep(0.1)  # expired
            again = await asyncio.gather(*(hooks.get(1) for _ in range(50)))
            return cached, len(reads), {h.secret for h in [first, *together, *again]}
        finally:
            await engine.dispose()

    cached, after_expiry, secrets = asyncio.run(run())
    assert cached == 0
    assert after_expiry == 1  # fifty readers, one load
    assert len(secrets) == 1


def test_a_change_is_seen_at_once_even_with_a_load_in_flight(tmp_path: Path) -> None:
    async def run() -> tuple[str | None, str | None, str, str]:
        engine = await _store(tmp_path)
        try:
            hooks = AccountHooks(engine, SecretBox(Fernet.generate_key().decode()), ttl_s=0)
            before = await hooks.get(1)
            stale = asyncio.ensure_future(hooks.get(1))  # a load begun before the change
            await asyncio.sleep(0)
            changed = await hooks.set_url(1, "https://hooks.example/new")
            await stale
            rotated = await hooks.rotate(1)
            return changed.url, (await hooks.get(1)).url, before.secret, rotated.secret
        finally:
            await engine.dispose()

    url, read_back, old_secret, new_secret = asyncio.run(run())
    assert url == read_back == "https://hooks.example/new"
    assert new_secret != old_secret


def test_a_load_given_up_by_its_reader_still_serves_the_others(tmp_path: Path) -> None:
    async def run() -> str | None:
        engine = await _store(tmp_path)
        try:
            hooks = AccountHooks(engine, SecretBox(Fernet.generate_key().decode()), ttl_s=60)
            impatient = asyncio.ensure_future(hooks.get(1))
            patient = asyncio.ensure_future(hooks.get(1))
            await asyncio.sleep(0)
            impatient.cancel()
            return (await patient).url
        finally:
            await engine.dispose()

    assert asyncio.run(run()) is None  # loaded (no URL set), not cancelled with the first reader
