"""``omnirelay serve --workers 2`` against ``--workers 1``: chat throughput on PostgreSQL and Redis.

The same gateway settings both times (a fresh schema each run; balances, limits and breakers in
Redis under a fresh prefix; billing and request logs on) in front of ``bench/fast_upstream.py``,
driven by wrk with ``bench/wrk/chat.lua`` (POST /v1/chat/completions, not streamed):

    .venv/bin/python bench/workers.py                      # 10 s per run, 64 connections
    .venv/bin/python bench/workers.py --duration 5 --connections 32 --workers 1 2 4

Environment: ``DATABASE_URL`` (default ``postgresql+asyncpg://postgres@127.0.0.1:5432/omnirelay_bench_workers``,
created when missing and emptied before each run) and ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``).
wrk runs with one thread; on a machine with few cores the workers, PostgreSQL, Redis, the upstream
and wrk share them, so the gain of a second worker is bounded by the cores left to it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from shared_limits import free_port, wait_http
from sqlalchemy.ext.asyncio import create_async_engine

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-master-key"
DEFAULT_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:5432/omnirelay_bench_workers"


async def _empty_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    admin = create_async_engine(sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            if not await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def _config(folder: Path, database_url: str, redis_url: str, upstream_port: int) -> Path:
    config = folder / "omnirelay.toml"
    config.write_text(
        f"""database_url = "{database_url}"
redis_url = "{redis_url}"
redis_prefix = "omnirelay-bench-workers-{secrets.token_hex(4)}"
admin_key = "sk-bench-admin-key"
local_provider = false

[log]
access = false

[[accounts]]
name = "bench"
balance = 1_000_000_000_000_000

[[keys]]
account = "bench"
name = "bench"
key = "{KEY}"

[[channels]]
name = "fake-upstream"
base_url = "http://127.0.0.1:{upstream_port}/v1"
secrets = ["sk-fake-upstream"]
models = ["gpt-test"]

[[prices]]
model = "gpt-test"
input_per_million = 150_000
output_per_million = 600_000
"""
    )
    return config


def _wrk(port: int, seconds: int, connections: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(HERE / "wrk" / "chat.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ, "BENCH_KEY": KEY})
    line = next(line for line in out.stdout.splitlines() if line.startswith("BENCH_JSON "))
    return dict(json.loads(line.removeprefix("BENCH_JSON ")))


def _run(workers: int, args: argparse.Namespace, upstream_port: int, work: Path) -> dict[str, float]:
    asyncio.run(_empty_database(args.database_url))
    folder = work / f"workers-{workers}"
    folder.mkdir()
    config = _config(folder, args.database_url, args.redis_url, upstream_port)
    port = free_port()
    command = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")} | {"OMNIRELAY_HOME": str(folder)}
    with (folder / "serve.log").open("wb") as log:
        gateway = subprocess.Popen([*command, "--workers", str(workers)], env=env, stdout=log, stderr=log)
    try:
        wait_http(port, "/healthz", gateway)
        time.sleep(2 * workers)  # the workers start one after the other
        _wrk(port, args.warmup, args.connections)
        return _wrk(port, args.duration, args.connections)
    finally:
        gateway.send_signal(signal.SIGTERM)
        gateway.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=int, default=2, help="unrecorded seconds per run first")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    args.database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE)
    args.redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    upstream_port = free_port()
    upstream = subprocess.Popen(
        [sys.executable, str(HERE / "fast_upstream.py"), "--host", "127.0.0.1", "--port", str(upstream_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    results = {}
    try:
        wait_http(upstream_port, "/healthz", upstream)
        with tempfile.TemporaryDirectory(prefix="omnirelay-bench-workers.") as work:
            for workers in args.workers:
                results[workers] = _run(workers, args, upstream_port, Path(work))
    finally:
        upstream.terminate()
        upstream.wait(15)
    print(f"chat, {args.connections} connections, {args.duration} s, PostgreSQL + Redis, {os.cpu_count()} cores")
    print(f"{'workers':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for workers, r in results.items():
        p50, p99 = r["p50_us"] / 1000, r["p99_us"] / 1000
        print(f"{workers:>7} {r['rps']:>9.0f} {p50:>8.2f} {p99:>8.2f} {int(r['errors']):>7}")


if __name__ == "__main__":
    main()
