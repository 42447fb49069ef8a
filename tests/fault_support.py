"""The fault suite's scaffolding (issue #15): real ``omnirelay serve`` replicas on PostgreSQL + Redis,
bursts of concurrent clients, and the ledger read straight from the store.

The suite runs after the rest (``scripts/check``: ``-m fault``, one process), because some of its
faults (a PostgreSQL restart) reach beyond a test's own database.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.types import ASGIApp, Receive, Scope, Send

from conftest import ADMIN_KEY, POSTGRES_URL, REDIS_URL, USER_KEY
from durability_support import Gateways, free_port

BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
STREAM_BODY = {**BODY, "stream": True}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return str(value)


def toml_table(name: str, values: dict[str, Any], array: bool = False) -> str:
    head = f"[[{name}]]" if array else f"[{name}]"
    return "\n".join([head, *(f"{k} = {toml_value(v)}" for k, v in values.items())])


@dataclass
class Cluster:
    """A config for replicas of one gateway on PostgreSQL (+ Redis), and the replicas started from it."""

    home: Path
    upstreams: list[str]
    key: dict[str, Any] = field(default_factory=dict)
    """Extra scopes of the one user key (``rpm``, ``concurrency``, ...)."""
    balance: int = 10**12
    per_call: int = 100
    redis_url: str | None = REDIS_URL
    top: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)
    """Channels besides the OpenAI-compatible ones on ``upstreams``."""
    prices: list[dict[str, Any]] = field(default_factory=list)
    gateways: Gateways = field(default_factory=Gateways)
    ports: list[int] = field(default_factory=list)
    prefix: str = field(default_factory=lambda: f"omnirelay-fault-{secrets.token_hex(4)}")

    def config(self) -> Path:
        top = {"home": str(self.home / "home"), "database_url": POSTGRES_URL, "admin_key": ADMIN_KEY,
               "cache_refresh_s": 0.2, **self.top}  # fmt: skip
        if self.redis_url:
            top |= {"redis_url": self.redis_url, "redis_prefix": self.prefix}
        parts = [*(f"{k} = {toml_value(v)}" for k, v in top.items())]
        parts += [toml_table(name, values) for name, values in self.tables.items()]
        parts.append(toml_table("accounts", {"name": "acme", "balance": self.balance}, array=True))
        parts.append(toml_table("keys", {"account": "acme", "name": "main", "key": USER_KEY, **self.key}, array=True))
        for i, url in enumerate(self.upstreams):
            channel = {"name": f"up{i}", "base_url": url + "/v1", "secrets": ["sk-upstream"], "models": ["gpt-test"],
                       "priority": len(self.upstreams) - i}  # fmt: skip
            parts.append(toml_table("channels", channel, array=True))
        parts += [toml_table("channels", channel, array=True) for channel in self.channels]
        prices = [{"model": "gpt-test", "mode": "per_call", "per_call": self.per_call}, *self.prices]
        parts += [toml_table("prices", price, array=True) for price in prices]
        path = self.home / "omnirelay.toml"
        path.write_text("\n".join(parts) + "\n")
        return path

    def start(self, replicas: int = 2, **env: str) -> list[str]:
        config = self.config()
        ports = [free_port() for _ in range(replicas)]
        processes = [self.gateways.spawn(config, port, **env) for port in ports]  # they start side by side
        for process, port in zip(processes, ports, strict=True):
            self.gateways.wait_up(process, port)
        self.ports += ports
        return self.urls

    def restart(self, index: int, **env: str) -> None:
        self.gateways.serve(self.config(), self.ports[index], **env)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def close(self) -> None:
        self.gateways.close()


def reset_postgres() -> None:
    async def run() -> None:
        engine = create_async_engine(POSTGRES_URL)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(sa.text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    asyncio.run(run())


def flush(url: str) -> None:
    """Make a replica's write-behind commit what it holds (the admin log read flushes first)."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    response = httpx.get(f"{url}/api/admin/logs", params={"flush": "true", "limit": 1}, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def ledger() -> tuple[int, int, dict[str, int]]:
    """(balance, sum of entries, entries per kind) of the one account, read from PostgreSQL."""

    async def run() -> tuple[int, int, dict[str, int]]:
        engine = create_async_engine(POSTGRES_URL)
        try:
            async with engine.connect() as conn:
                balance = await conn.scalar(sa.text("SELECT balance FROM accounts WHERE name = 'acme'"))
                rows = (await conn.execute(sa.text("SELECT kind, amount FROM ledger_entries"))).all()
        finally:
            await engine.dispose()
        kinds: dict[str, int] = {}
        for kind, _ in rows:
            kinds[kind] = kinds.get(kind, 0) + 1
        return int(balance), sum(int(amount) for _, amount in rows), kinds

    return asyncio.run(run())


def open_reservations() -> int:
    """Reserves that no settle, refund or release has closed yet (by request id)."""

    async def run() -> int:
        engine = create_async_engine(POSTGRES_URL)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(sa.text("SELECT request_id, kind FROM ledger_entries"))).all()
        finally:
            await engine.dispose()
        reserved = {rid for rid, kind in rows if kind == "reserve"}
        closed = {rid for rid, kind in rows if kind in ("settle", "refund", "release")}
        return len(reserved - closed)

    return asyncio.run(run())


async def _one(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> int:
    try:
        response = await client.post(f"{url}/v1/chat/completions", json=body)
    except httpx.TransportError:
        return 0
    return response.status_code


def burst(urls: list[str], count: int, body: dict[str, Any] = BODY) -> list[int]:
    """``count`` chat calls at once, spread over ``urls``; their statuses (0: the connection failed)."""

    async def run() -> list[int]:
        limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        async with httpx.AsyncClient(limits=limits, headers=headers, timeout=60) as client:
            calls = [_one(client, urls[i % len(urls)], body) for i in range(count)]
            return list(await asyncio.gather(*calls))

    return asyncio.run(run())


def call(url: str, body: dict[str, Any] = BODY, timeout: float = 30) -> int:
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    try:
        return httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=timeout).status_code
    except httpx.TransportError:
        return 0


def wait_until(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


class InFlight:
    """ASGI middleware around a fake upstream: the most requests it ever had in flight at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.now, self.most = app, 0, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


@contextmanager
def cluster(tmp_path: Path, upstreams: list[str], **fields: Any) -> Iterator[Cluster]:
    reset_postgres()
    made = Cluster(tmp_path, upstreams, **fields)
    try:
        yield made
    finally:
        made.close()


Streamer = Callable[[str], Awaitable[str]]
