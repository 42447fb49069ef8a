"""Shared fixtures: a store per test (SQLite always, PostgreSQL when reachable) and real gateways.

Every gateway test runs the real ASGI app under uvicorn on loopback, in front of fake
upstreams from ``omnirelay.testing`` that also run as real servers.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from omnirelay.app import create_app
from omnirelay.db.tables import channels as channels_table
from omnirelay.settings import Settings
from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread
from secret_scan import (  # noqa: F401 - the fixture and hooks of the check that no log line holds a secret
    access_stream,
    gateway_log_files,
    pytest_sessionfinish,
    pytest_testnodedown,
)

_BASE_POSTGRES_URL = os.environ.get("OMNIRELAY_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _worker_database(base: str) -> str:
    """Under pytest-xdist each worker gets a database of its own (``test_gw0``, ...): tests reset its schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return base
    url = sa.engine.make_url(base)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


POSTGRES_URL = _worker_database(_BASE_POSTGRES_URL)
REDIS_URL = os.environ.get("OMNIRELAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ADMIN_KEY = "sk-admin-test-0000000000000000000000000000000000000000"
USER_KEY = "sk-user-test-00000000000000000000000000000000000000000"
UPSTREAM_SECRET = "sk-upstream"


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


async def _create_worker_database() -> None:
    if POSTGRES_URL == _BASE_POSTGRES_URL:
        return
    engine = create_async_engine(_BASE_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = sa.engine.make_url(POSTGRES_URL).database
    try:
        async with engine.connect() as conn:
            exists = await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


def _postgres_available() -> bool:
    try:
        asyncio.run(_create_worker_database())
        asyncio.run(_probe(POSTGRES_URL))
    except (OSError, sa.exc.SQLAlchemyError):
        return False
    return True


async def _probe(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_ok() -> bool:
    ok = _postgres_available()
    if not ok and os.environ.get("OMNIRELAY_TEST_REQUIRE_POSTGRES"):
        pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_URL}")
    return ok


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_ok: bool) -> str:
    """Each store-touching test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'omnirelay.db'}"
    if not postgres_ok:
        pytest.skip("PostgreSQL not reachable")
    asyncio.run(_reset_postgres(POSTGRES_URL))
    return POSTGRES_URL


@pytest.fixture
def redis_settings() -> dict[str, Any]:
    """Settings that put live balances and invalidation in Redis, under a prefix of this test's own."""
    import secrets

    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        if os.environ.get("OMNIRELAY_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"Redis is required but not reachable at {REDIS_URL}")
        pytest.skip("Redis not reachable")
    return {"redis_url": REDIS_URL, "redis_prefix": f"omnirelay-test-{secrets.token_hex(6)}"}


@dataclass
class Upstream:
    fake: FakeOpenAI
    url: str

    @property
    def knobs(self) -> FakeOpenAIKnobs:
        return self.fake.knobs

    def chat_requests(self) -> list[Any]:
        return [r for r in self.fake.requests if r.path.endswith("/chat/completions")]


@dataclass
class Gateway:
    url: str
    settings: Settings
    admin: httpx.Client
    extra: dict[str, Any] = field(default_factory=dict)

    def admin_json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.admin.request(method, path, **kwargs)
        assert response.status_code < 400, response.text
        return response.json()

    def flush(self) -> None:
        """Make the write-behind commit everything so far (the store can then be checked)."""
        self.admin_json("GET", "/api/admin/logs", params={"flush": "true", "limit": 1})

    def logs(self, **params: Any) -> list[dict[str, Any]]:
        return list(self.admin_json("GET", "/api/admin/logs", params={"flush": "true", **params})["data"])


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def make_upstream(stack: ExitStack) -> Callable[..., Upstream]:
    def make(**knobs: Any) -> Upstream:
        fake = FakeOpenAI(FakeOpenAIKnobs(**knobs))
        url = stack.enter_context(serve_in_thread(fake.app))
        return Upstream(fake, url)

    return make


def channel(name: str, upstream: Upstream, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "base_url": upstream.url + "/v1",
        "secrets": [UPSTREAM_SECRET],
        "models": ["gpt-test"],
        **extra,
    }


def start_gateway(stack: ExitStack, tmp_path: Path, database_url: str, **overrides: Any) -> Gateway:
    """A gateway on ``database_url`` until ``stack`` closes (module-scoped fixtures call this directly)."""
    values: dict[str, Any] = {
        "home": tmp_path / "home",
        "database_url": database_url,
        "admin_key": ADMIN_KEY,
        "secret_key": "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc=",
        "writer": {"flush_interval_s": 0.05, "batch_size": 2000},
        "cache_refresh_s": 0.2,
        # access lines go to a file of this pytest process, scanned for secrets (secret_scan.py)
        "log": {"access": True, "format": "json"},
    }
    values.update(overrides)
    settings = Settings.model_validate(values)
    url = stack.enter_context(serve_in_thread(create_app(settings, log_stream=access_stream())))
    admin = stack.enter_context(
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    )
    return Gateway(url, settings, admin)


@pytest.fixture
def make_gateway(stack: ExitStack, tmp_path: Path, database_url: str) -> Callable[..., Gateway]:
    """Start a gateway on the test's store. Keyword arguments are :class:`Settings` fields."""

    def make(**overrides: Any) -> Gateway:
        return start_gateway(stack, tmp_path, overrides.pop("database_url", database_url), **overrides)

    return make


def funded(balance: int = 10**12, **key: Any) -> dict[str, Any]:
    """Settings for one account with one key (``USER_KEY``)."""
    return {
        "accounts": [{"name": "acme", "balance": balance}],
        "keys": [{"account": "acme", "name": "main", "key": USER_KEY, **key}],
    }


def per_token(model: str = "gpt-test", input_pm: int = 1_000_000, output_pm: int = 2_000_000) -> dict[str, Any]:
    return {
        "model": model,
        "mode": "per_token",
        "input_per_million": input_pm,
        "output_per_million": output_pm,
    }


async def _store_totals(url: str) -> list[tuple[int, int, int]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT a.id, a.balance, COALESCE((SELECT SUM(e.amount) FROM ledger_entries e "
                    "WHERE e.account_id = a.id), 0) FROM accounts a ORDER BY a.id"
                )
            )
            return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]
    finally:
        await engine.dispose()


def store_totals(gateway: Gateway) -> list[tuple[int, int, int]]:
    """(account id, balance, sum of its ledger entries) for every account, after a flush."""
    gateway.flush()
    return asyncio.run(_store_totals(gateway.settings.effective_database_url))


def assert_ledger_balanced(gateway: Gateway) -> None:
    for account_id, balance, total in store_totals(gateway):
        assert balance == total, f"account {account_id}: balance {balance} != sum of entries {total}"


sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""For tests whose subject never reaches the store (input validation, format variations):
one run on SQLite is enough, the store-touching paths are covered on both elsewhere."""


def forget_offered_models(url: str) -> None:
    """The store as a version before ``offered_models`` left it: only the channel's models say what it knew."""

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.update(channels_table).values(offered_models=None))
        finally:
            await engine.dispose()

    asyncio.run(run())
