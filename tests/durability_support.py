"""Real ``omnirelay serve`` processes a test may SIGKILL, and the store's ledger read behind their back.

Shared by the durability tests: a gateway is started on a fixed port (so a restart answers at the
same address), killed without a chance to clean up, and started again on the same store; the
ledger is then read straight from the database to count reserves and closing entries per task.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import ADMIN_KEY
from mj_support import wait_for

Entry = tuple[str, str, int]
"""A ledger entry: (request_id, kind, amount)."""
CLOSING = ("settle", "refund")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gateways:
    """Every gateway process a test started, all killed when the test ends (whatever it asserted)."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []
        self._logs: dict[int, Path] = {}

    def serve(self, config: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
        """``omnirelay serve -c config --port port``, once ``/healthz`` answers; ``env`` on top of ours.
        What it writes goes to ``serve-<n>.log`` beside ``config`` (read it when a test fails)."""
        process = self.spawn(config, port, **env)
        self.wait_up(process, port)
        return process

    def spawn(self, config: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
        """Start the process without waiting for it (start several, then :meth:`wait_up` each)."""
        log = config.parent / f"serve-{len(self.started)}.log"
        with log.open("w") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port)],
                env={**os.environ, **env},
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        self._logs[process.pid] = log
        return process

    def wait_up(self, process: subprocess.Popen[bytes], port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"gateway did not start:\n{self._logs[process.pid].read_text()[-3000:]}")

    def close(self) -> None:
        for process in self.started:
            process.kill()
            process.wait(10)


def sigkill(process: subprocess.Popen[bytes]) -> None:
    """Kill as a crash or an OOM killer would: no shutdown hook runs, nothing is flushed."""
    process.send_signal(signal.SIGKILL)
    process.wait()


async def _entries(url: str) -> list[Entry]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT request_id, kind, amount FROM ledger_entries ORDER BY id"))
            return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
    finally:
        await engine.dispose()


def closed_entries(port: int, database_url: str, count: int) -> list[Entry]:
    """The whole ledger, once at least ``count`` entries close a reservation (the gateway is told to flush)."""

    def closed() -> list[Entry]:
        httpx.get(
            f"http://127.0.0.1:{port}/api/admin/logs",
            params={"flush": "true", "limit": 1},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        entries = asyncio.run(_entries(database_url))
        return entries if sum(1 for _, kind, _ in entries if kind in CLOSING) >= count else []

    entries: list[Entry] = wait_for(closed, 30)
    return entries


def kinds_of(entries: list[Entry], request_id: str) -> Counter[str]:
    return Counter(kind for rid, kind, _ in entries if rid == request_id)


def balance(port: int, account_id: int = 1) -> int:
    answer = httpx.get(
        f"http://127.0.0.1:{port}/api/admin/accounts/{account_id}", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    return int(answer.json()["balance"])


def webhooks_quiet(port: int) -> bool:
    """No webhook is waiting or in flight. A delivery a killed process had claimed stays leased to it
    for ``webhooks.timeout_s`` + 30 s, and later events of that task queue behind it in order."""
    answer = httpx.get(
        f"http://127.0.0.1:{port}/api/admin/webhooks/deliveries",
        params={"status": "pending", "limit": 1},
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
    )
    return answer.status_code == 200 and answer.json()["data"] == []
