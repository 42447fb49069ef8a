"""Benchmark a synchronous image vendor through the gateway: Ideogram ``POST /generate`` requests per second.

Three pieces on loopback: the fake Ideogram upstream (``omnirelay fake-upstream ideogram``, real PNG
results), the gateway (SQLite, billing on, one worker process) and an asyncio httpx client. Each
request through the gateway is authenticated, priced and held, relayed, its image downloaded
from the fake through the outbound guard, kept in the account's files and signed, then settled.
The same requests are also sent to the fake directly, for comparison, and the account's balance is
checked against the answered requests (billed exactly once each).

    .venv/bin/python bench/sync_vendor.py                          # 5 s at concurrency 1 and 16
    .venv/bin/python bench/sync_vendor.py --duration 10 --concurrency 1 32 --images 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

KEY = "sk-bench-ideogram-000000000000000000000000000000000000000"
ADMIN = "sk-bench-admin-key"
UPSTREAM_KEY = "ideo-bench"
PRICE = 1000
BALANCE = 10**15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(home: Path, port: int, upstream: int) -> Path:
    path = home / "bench.toml"
    path.write_text(
        f"""
home = "{home}"
admin_key = "{ADMIN}"
[server]
port = {port}
[log]
access = false
[outbound]
allow_networks = ["127.0.0.1/32"]
[[accounts]]
name = "bench"
balance = {BALANCE}
[[keys]]
account = "bench"
name = "bench"
key = "{KEY}"
[[channels]]
name = "ideogram"
type = "ideogram"
base_url = "http://127.0.0.1:{upstream}"
secrets = ["{UPSTREAM_KEY}"]
models = ["V_2"]
[[prices]]
model = "V_2"
mode = "per_call"
per_call = {PRICE}
"""
    )
    return path


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


@contextmanager
def started(command: list[str], log: Path, ready: str) -> Iterator[None]:
    """Run ``command`` (its output in ``log``) until the block ends; stopped by its own pid."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
    with log.open("ab") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)
    try:
        wait_up(ready)
        yield
    finally:
        process.terminate()
        process.wait(10)


async def load(url: str, headers: dict[str, str], images: int, concurrency: int, duration: float) -> dict[str, Any]:
    """``concurrency`` clients posting ``/generate`` back to back for ``duration`` seconds."""
    body = {"image_request": {"prompt": "a lighthouse", "num_images": images}}
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + duration

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            began = time.perf_counter()
            answer = await client.post("/generate", json=body)
            if answer.status_code == 200 and len(answer.json()["data"]) == images:
                latencies.append(time.perf_counter() - began)
            else:
                errors += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        started_at = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.monotonic() - started_at
    ordered = sorted(latencies) or [float("nan")]
    return {
        "ok": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000,
    }


def line(target: str, concurrency: int, result: dict[str, Any]) -> str:
    return (
        f"{target:9} c={concurrency:<3} {result['rps']:7.1f} req/s  p50 {result['p50_ms']:7.1f} ms  "
        f"p99 {result['p99_ms']:7.1f} ms  ok {result['ok']}  errors {result['errors']}"
    )


def balance(gateway: str) -> int:
    accounts = httpx.get(f"{gateway}/api/admin/accounts", headers={"Authorization": f"Bearer {ADMIN}"}).json()
    return int(next(a["balance"] for a in accounts["data"] if a["name"] == "bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--images", type=int, default=1, help="num_images per request (1 to 8)")
    args = parser.parse_args()
    omnirelay = str(Path(__file__).resolve().parent.parent / ".venv" / "bin" / "omnirelay")
    home = Path(tempfile.mkdtemp(prefix="omnirelay-bench-sync-"))
    upstream_port, port = free_port(), free_port()
    upstream, gateway = f"http://127.0.0.1:{upstream_port}", f"http://127.0.0.1:{port}"
    fake = [omnirelay, "fake-upstream", "ideogram", "--port", str(upstream_port), "--api-key", UPSTREAM_KEY]
    try:
        with (
            started(fake, home / "fake.log", f"{upstream}/files/none"),
            started(
                [omnirelay, "serve", "-c", str(config(home, port, upstream_port))],
                home / "gw.log",
                f"{gateway}/healthz",
            ),
        ):
            asyncio.run(load(gateway, {"Api-Key": KEY}, args.images, 2, 1.0))  # warm-up
            before, answered = balance(gateway), 0
            for concurrency in args.concurrency:
                direct = asyncio.run(load(upstream, {"Api-Key": UPSTREAM_KEY}, args.images, concurrency, args.duration))
                print(line("direct", concurrency, direct))
                relayed = asyncio.run(load(gateway, {"Api-Key": KEY}, args.images, concurrency, args.duration))
                print(line("omnirelay", concurrency, relayed))
                answered += relayed["ok"]
            charged = before - balance(gateway)
            print(f"billing: {answered} answered requests, charged {charged} = {answered} x {args.images} x {PRICE}: "
                  f"{'ok' if charged == answered * args.images * PRICE else 'MISMATCH'}")  # fmt: skip
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
