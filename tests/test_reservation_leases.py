"""A reservation belongs to the process that made it for as long as that process is alive.

Two real ``omnirelay serve`` processes share one store. Before issue #9's fix a process that
started while another one held a reservation older than ``relay.reservation_timeout_s`` released
that hold (by age alone) although its owner was still streaming the call, which then settled it
a second time. Now every gateway process renews a lease; only the holds of a process whose lease
ran out are released, by whichever process notices first, once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import ADMIN_KEY, USER_KEY
from mj_support import wait_for
from omnirelay.admin.accounts import create_account
from omnirelay.billing.balances import MemoryBalances
from omnirelay.billing.recovery import Released, release_stale_reservations
from omnirelay.db.engine import create_engine, now_ms
from omnirelay.db.migrate import upgrade
from omnirelay.db.writebehind import LedgerRow, WriteBehind
from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread
from serve_process import clean_env, free_port

BALANCE = 10**9
LEASE_S = 1.0


def _config(path: Path, database_url: str, upstream_url: str) -> Path:
    path.write_text(
        f"""
home = "{path.parent / "home"}"
database_url = "{database_url}"
admin_key = "{ADMIN_KEY}"
cache_refresh_s = 0.2
local_provider = false
[writer]
flush_interval_s = 0.05
[relay]
reservation_timeout_s = 0
[billing]
lease_s = {LEASE_S}
[[accounts]]
name = "acme"
balance = {BALANCE}
[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"
[[channels]]
name = "up"
base_url = "{upstream_url}/v1"
secrets = ["sk-upstream"]
models = ["gpt-test"]
[[prices]]
model = "gpt-test"
input_per_million = 1000000
output_per_million = 2000000
"""
    )
    return path


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait(10)


def _serve(config: Path, log: Path, started: list[subprocess.Popen[bytes]]) -> str:
    port = free_port()
    command = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port)]
    with log.open("w") as sink:
        process = subprocess.Popen(command, env=clean_env(config.parent / "home"), stdout=sink, stderr=sink)
    started.append(process)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(f"{url}/readyz").status_code == 200
        except httpx.TransportError:
            return False

    wait_for(up, 60, 0.1)
    return url


async def _entries(url: str, request_id: str) -> list[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT kind FROM ledger_entries WHERE request_id = :rid ORDER BY id"), {"rid": request_id}
            )
            return [str(r[0]) for r in rows]
    finally:
        await engine.dispose()


async def _balance(url: str) -> tuple[int, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            balance = await conn.scalar(sa.text("SELECT balance FROM accounts WHERE name = 'acme'"))
            total = await conn.scalar(sa.text("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries"))
            return int(balance), int(total)
    finally:
        await engine.dispose()


class _Streamer:
    """Reads a streamed chat completion in a thread for as long as the gateway sends it."""

    def __init__(self, url: str) -> None:
        self.request_id: str | None = None
        self._url = url
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        body = {"model": "gpt-test", "messages": [{"role": "user", "content": "talk"}], "stream": True}
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        try:
            with httpx.stream("POST", self._url + "/v1/chat/completions", json=body, headers=headers, timeout=60) as r:
                self.request_id = r.headers["x-request-id"]
                for _ in r.iter_bytes():
                    pass
        except httpx.HTTPError:
            pass  # the gateway was killed under it


@pytest.mark.slow
def test_a_live_process_keeps_its_hold_and_a_dead_ones_is_released_once(
    stack: ExitStack, tmp_path: Path, database_url: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    upstream = FakeOpenAI(FakeOpenAIKnobs(reply=" ".join(["word"] * 3000), chunk_delay_s=0.02))
    config = _config(tmp_path / "omnirelay.toml", database_url, stack.enter_context(serve_in_thread(upstream.app)))
    first = _serve(config, tmp_path / "first.log", processes)
    stream = _Streamer(first)
    request_id: Callable[[], Any] = lambda: stream.request_id  # noqa: E731
    rid = wait_for(request_id, 20)
    wait_for(lambda: asyncio.run(_entries(database_url, rid)) == ["reserve"], 20)

    _serve(config, tmp_path / "second.log", processes)  # starts long after reservation_timeout_s (0 s)
    time.sleep(4 * LEASE_S)
    assert asyncio.run(_entries(database_url, rid)) == ["reserve"], "a live process's hold was released"

    processes[0].send_signal(signal.SIGKILL)
    processes[0].wait(10)
    kinds = wait_for(lambda: (k := asyncio.run(_entries(database_url, rid))) != ["reserve"] and k, 20)
    time.sleep(2 * LEASE_S)  # a second release (or a late settle) would show up by now
    assert asyncio.run(_entries(database_url, rid)) == kinds == ["reserve", "release"]
    balance, total = asyncio.run(_balance(database_url))
    assert balance == total == BALANCE


def test_a_late_settle_of_a_released_reservation_is_refused_by_the_store(tmp_path: Path, database_url: str) -> None:
    """A process cut off from the store past its lease settles after its hold was released: never twice."""

    async def scenario() -> tuple[list[str], int, int, int]:
        engine = create_engine(database_url)
        await upgrade(engine)
        await create_account(engine, "acme", balance=1000)
        writer = WriteBehind(engine, flush_interval_s=60, batch_size=100, spill_path=tmp_path / "spill.jsonl")
        writer.add_entry(LedgerRow(1, None, "req-1", "reserve", -100, now_ms(), "cut-off-process"))
        await writer.flush()
        async with MemoryBalances().external() as external:  # the cut-off process holds no lease
            released = await release_stale_reservations(engine, external, older_than_s=900, lease_s=30, by="other")
        assert released == [Released(1, None, 100)]
        writer.add_entry(LedgerRow(1, None, "req-1", "settle", 40, now_ms(), "cut-off-process"))
        writer.add_entry(LedgerRow(1, None, "req-2", "reserve", -7, now_ms(), "cut-off-process"))
        await writer.flush()
        async with engine.connect() as conn:
            kinds = list(await conn.scalars(sa.text("SELECT kind FROM ledger_entries ORDER BY id")))
            balance = int(await conn.scalar(sa.text("SELECT balance FROM accounts")))
            total = int(await conn.scalar(sa.text("SELECT SUM(amount) FROM ledger_entries")))
            letters = int(await conn.scalar(sa.text("SELECT COUNT(*) FROM dead_letters")))
        await engine.dispose()
        return kinds, balance, total, letters

    kinds, balance, total, letters = asyncio.run(scenario())
    assert kinds == ["topup", "reserve", "release", "reserve"]  # the row behind the refused one still commits
    assert balance == total == 1000 - 7
    assert letters == 1
