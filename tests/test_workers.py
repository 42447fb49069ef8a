"""``omnirelay serve --workers 2`` on PostgreSQL and Redis: both workers serve, ``/metrics`` of
either answers the totals, a dead worker is replaced, SIGTERM drains a stream, SQLite is refused."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import POSTGRES_URL, REDIS_URL, USER_KEY, Upstream
from omnirelay.observability.metrics import CallStats, HttpStats
from omnirelay.observability.worker_snapshot import WorkerSnapshot, add_counters, decode, encode
from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread
from secret_scan import watch_log
from serve_process import clean_env, free_port

ADMIN = "sk-workers-admin-0123456789abcdef0123456789abcdef0123"
CHAT = (("method", "POST"), ("route", "/v1/chat/completions"), ("status", "200"))
BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"Authorization": f"Bearer {USER_KEY}"}


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        """The JSON lines written so far (``--log-format json``)."""
        found = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                found.append(json.loads(line))
        return found

    def pids(self) -> dict[int, int]:
        """worker slot -> pid of its latest process."""
        return {line["worker"]: line["pid"] for line in self.lines() if line["event"] == "worker started"}


def _database_url(suffix: str) -> str:
    """A database of this module's own (``<test database>_<suffix>``), emptied."""
    url = sa.engine.make_url(POSTGRES_URL)
    name = f"{url.database}_{suffix}"
    own = url.set(database=name).render_as_string(hide_password=False)

    async def create_and_empty() -> None:
        admin = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                if not await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                    await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            await admin.dispose()
        engine = create_async_engine(own)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(sa.text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(create_and_empty())
        redis.Redis.from_url(REDIS_URL).ping()
    except (OSError, sa.exc.SQLAlchemyError, redis.RedisError) as exc:
        if os.environ.get("OMNIRELAY_TEST_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL and Redis are required: {exc}")
        pytest.skip(f"PostgreSQL or Redis not reachable: {exc}")
    return own


def _config(folder: Path, upstream: str, database_url: str) -> Path:
    config = folder / "omnirelay.toml"
    config.write_text(
        f"""database_url = "{database_url}"
redis_url = "{REDIS_URL}"
redis_prefix = "omnirelay-test-{secrets.token_hex(6)}"
admin_key = "{ADMIN}"
local_provider = false
cache_refresh_s = 0.2

[writer]
flush_interval_s = 0.05

[metrics]
workers_interval_s = 0.2

[[accounts]]
name = "acme"
balance = 1_000_000_000

[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"

[[channels]]
name = "fake"
base_url = "{upstream}/v1"
models = ["gpt-test"]

[[prices]]
model = "gpt-test"
input_per_million = 1_000_000
output_per_million = 2_000_000
"""
    )
    return config


@contextmanager
def _serve(config: Path, *flags: str) -> Iterator[Served]:
    """``omnirelay serve --workers 2 --log-format json``, once every worker is ready; SIGTERM after."""
    log, port = config.parent / "serve.log", free_port()
    watch_log(log)  # scanned for secrets at the end of the session, like every gateway's log
    command = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port)]
    with log.open("w") as sink:
        process = subprocess.Popen(
            [*command, "--workers", "2", "--log-format", "json", *flags],
            env=clean_env(config.parent / "home"),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 90
        while not any(line["event"] == "all workers ready" for line in served.lines()):
            assert process.poll() is None, f"serve exited with {process.returncode}:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the workers did not come up:\n{log.read_text()}"
            time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(60)


def _samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _until(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    fake = FakeOpenAI(FakeOpenAIKnobs())
    with serve_in_thread(fake.app) as url:
        yield Upstream(fake, url)


@pytest.fixture(scope="module")
def gateway(upstream: Upstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("workers")
    with _serve(_config(folder, upstream.url, _database_url("workers"))) as served:
        yield served


def _chat_served_by(served: Served) -> dict[int, int]:
    """worker -> chat requests its access lines show."""
    counts: dict[int, int] = {}
    for line in served.lines():
        if line["event"] == "request" and line["path"] == "/v1/chat/completions":
            counts[line["worker"]] = counts.get(line["worker"], 0) + 1
    return counts


def _scrapes_by(served: Served, worker: int) -> int:
    return sum(1 for line in served.lines() if line.get("path") == "/metrics" and line["worker"] == worker)


@pytest.mark.postgres
def test_both_workers_serve_and_every_scrape_answers_the_totals(gateway: Served) -> None:
    _until(lambda: _samples(gateway.url).get(("omnirelay_workers", ())) == 2, 10, "both workers share metrics")
    pids = gateway.pids()
    assert sorted(pids) == [0, 1] and len(set(pids.values())) == 2
    for _ in range(30):  # a new connection each: the kernel spreads them over both workers' sockets
        assert httpx.post(f"{gateway.url}/v1/chat/completions", json=BODY, headers=AUTH).status_code == 200
    _until(lambda: sum(_chat_served_by(gateway).values()) == 30, 10, "every access line is written")
    assert sorted(_chat_served_by(gateway)) == [0, 1], "both workers answered chat calls"

    def totals(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]) -> tuple[float, float, float]:
        calls = sum(v for (name, _), v in samples.items() if name == "omnirelay_calls_total")
        duration = samples.get(("omnirelay_http_request_duration_seconds_count", (("route", "/v1/chat/completions"),)))
        return samples.get(("omnirelay_http_requests_total", CHAT), 0), calls, duration or 0

    _until(lambda: totals(_samples(gateway.url)) == (30, 30, 30), 15, "a scrape answers the totals of both")
    time.sleep(1)  # both workers have shared their final counts since
    scraped = {0: _scrapes_by(gateway, 0), 1: _scrapes_by(gateway, 1)}
    for _ in range(40):  # until each worker answered a scrape: every scrape says 30
        assert totals(_samples(gateway.url)) == (30, 30, 30)
        time.sleep(0.05)
        if all(_scrapes_by(gateway, worker) > before for worker, before in scraped.items()):
            break
    else:
        raise AssertionError("the scrapes never reached both workers")


@pytest.mark.postgres
def test_a_dead_worker_is_replaced_and_the_totals_do_not_go_down(gateway: Served) -> None:
    before = _samples(gateway.url)[("omnirelay_http_requests_total", CHAT)]
    victim = gateway.pids()[1]
    os.kill(victim, signal.SIGKILL)
    _until(lambda: gateway.pids()[1] != victim, 15, "the supervisor starts another worker in slot 1")
    _until(lambda: _samples(gateway.url).get(("omnirelay_workers", ())) == 2, 15, "the new worker shares metrics")
    for _ in range(20):
        assert httpx.get(f"{gateway.url}/healthz").status_code == 200
    assert _samples(gateway.url)[("omnirelay_http_requests_total", CHAT)] >= before
    assert any(line["event"] == "worker exited; starting another in its place" for line in gateway.lines())


def _stream(url: str, first_chunk: threading.Event, received: list[str]) -> None:
    body = {**BODY, "stream": True}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, headers=AUTH, timeout=60) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: "):
                received.append(line.removeprefix("data: "))
                first_chunk.set()


async def _store_state(url: str) -> tuple[list[tuple[int, int, int]], int, list[int]]:
    """(account id, balance, sum of its entries) per account, request log rows, lease heartbeats."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            totals = await conn.execute(
                sa.text(
                    "SELECT a.id, a.balance, COALESCE((SELECT SUM(e.amount) FROM ledger_entries e "
                    "WHERE e.account_id = a.id), 0) FROM accounts a ORDER BY a.id"
                )
            )
            logs = await conn.scalar(sa.text("SELECT COUNT(*) FROM request_logs WHERE cost > 0"))
            beats = await conn.execute(sa.text("SELECT heartbeat_at FROM instances"))
            return [(int(a), int(b), int(c)) for a, b, c in totals], int(logs or 0), [int(b) for (b,) in beats]
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_sigterm_lets_a_stream_finish_then_exits_0(upstream: Upstream, tmp_path: Path) -> None:
    database_url = _database_url("workers_drain")
    upstream.knobs.chunk_delay_s, upstream.knobs.chunks = 0.15, 20  # a three-second stream
    try:
        with _serve(_config(tmp_path, upstream.url, database_url), "--shutdown-grace", "20") as served:
            first_chunk, received = threading.Event(), list[str]()
            reader = threading.Thread(target=_stream, args=(served.url, first_chunk, received))
            reader.start()
            assert first_chunk.wait(10)
            stopped_at = time.monotonic()
            served.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            with pytest.raises(httpx.TransportError):  # no longer accepting
                httpx.get(f"{served.url}/healthz", timeout=2)
            reader.join(30)
            assert received[-1] == "[DONE]" and len(received) > 5
            assert served.process.wait(30) == 0
            assert time.monotonic() - stopped_at < 20
    finally:
        upstream.knobs.chunk_delay_s, upstream.knobs.chunks = 0.0, None
    totals, billed, heartbeats = asyncio.run(_store_state(database_url))
    assert totals and all(balance == total for _, balance, total in totals), totals
    assert billed == 1  # the drained stream was settled and its log row committed
    assert heartbeats and all(beat == 0 for beat in heartbeats)  # every worker gave its lease up


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_sqlite_with_several_workers_is_refused_with_the_fix(tmp_path: Path, how: str) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text('admin_key = "sk-refused-0123456789abcdef0123456789abcdef0123456789"\n')
    env = clean_env(tmp_path / "home")
    flags = ["--workers", "2"] if how == "flag" else []
    if how == "environment":
        env["OMNIRELAY_SERVER__WORKERS"] = "2"
    command = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(free_port()), *flags]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "server.workers = 2" in done.stderr and "needs PostgreSQL" in done.stderr
    assert "postgresql+asyncpg://" in done.stderr and "--workers 1" in done.stderr
    assert not (tmp_path / "home" / "omnirelay.db").exists()  # refused before touching the store


def test_one_worker_on_a_taken_port_says_so_and_never_claims_to_listen(tmp_path: Path) -> None:
    config = tmp_path / "omnirelay.toml"
    config.write_text('admin_key = "sk-taken-port-0123456789abcdef0123456789abcdef0123456"\n')
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        command = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", port]
        done = subprocess.run(command, env=clean_env(tmp_path / "home"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "could not listen" in done.stderr and "listening on" not in done.stderr, done.stderr


def test_snapshots_round_trip_and_add_up() -> None:
    http, calls = HttpStats(), CallStats()
    http.observe("/v1/chat/completions", "POST", "200", 0.02)
    calls.calls[("chat.completions", "gpt-test", "fake", "ok")] = 3
    calls.tokens[("gpt-test", "input")] = 12
    calls.spend["gpt-test"] = 700
    http.in_flight, calls.open_holds = 2, 1
    copy = decode(encode(WorkerSnapshot(7, 1.5, http, calls, backlog=4)))
    assert (copy.pid, copy.at, copy.backlog, copy.http.in_flight, copy.calls.open_holds) == (7, 1.5, 4, 2, 1)
    total_http, total_calls = HttpStats(), CallStats()
    add_counters(total_http, total_calls, copy)
    add_counters(total_http, total_calls, copy)
    assert total_http.requests[("/v1/chat/completions", "POST", "200")] == 2
    assert sum(total_http.latency["/v1/chat/completions"].counts) == 2
    assert total_calls.calls[("chat.completions", "gpt-test", "fake", "ok")] == 6
    assert (total_calls.tokens[("gpt-test", "input")], total_calls.spend["gpt-test"]) == (24, 1400)
    assert (total_http.in_flight, total_calls.open_holds) == (0, 0)  # gauges are not counters
    with pytest.raises(ValueError, match="not a worker snapshot|another version"):
        decode(b'{"version": 1, "pid": 1}')
