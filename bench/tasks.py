"""Benchmark the task engine: Midjourney submits+fetches per second, and signed webhook deliveries.

Starts three processes on loopback: a minimal Midjourney-Proxy upstream (answers every submit
at once, reports every task finished on the first poll), the gateway (SQLite, billing on,
one worker), and this load generator, which also runs the webhook receiver.

    .venv/bin/python bench/tasks.py --duration 10 --concurrency 32

Reported: submits/s (each loop = submit + fetch), submit latency p50/p99, webhook deliveries/s,
and the delay from a task's state change (the time in its JSON) to the delivery's arrival.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

KEY = "sk-bench-tasks-0000000000000000000000000000000000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the upstream (run with: bench/tasks.py upstream PORT) ------------------------------------


def run_upstream(port: int) -> None:
    ids = itertools.count(int(time.time() * 1000) * 1000)

    async def submit(request: web.Request) -> web.Response:
        await request.read()
        body = {"code": 1, "description": "Submit success", "result": str(next(ids)), "properties": {}}
        return web.Response(body=orjson.dumps(body), content_type="application/json")

    async def listing(request: web.Request) -> web.Response:
        wanted = orjson.loads(await request.read()).get("ids", [])
        now = int(time.time() * 1000)
        tasks = [
            {
                "id": i,
                "action": "IMAGINE",
                "status": "SUCCESS",
                "progress": "100%",
                "startTime": now,
                "finishTime": now,
                "imageUrl": f"http://127.0.0.1:{port}/i/{i}.png",
                "buttons": [],
                "properties": {},
            }
            for i in wanted
        ]
        return web.Response(body=orjson.dumps(tasks), content_type="application/json")

    app = web.Application()
    app.router.add_post("/mj/submit/imagine", submit)
    app.router.add_post("/mj/task/list-by-condition", listing)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- the gateway ------------------------------------------------------------------------------


def gateway_config(home: Path, port: int, upstream: int) -> Path:
    config = home / "bench.toml"
    config.write_text(
        f"""
home = "{home}"
admin_key = "sk-bench-admin-key"
[server]
port = {port}
[tasks]
poll_min_s = {os.environ.get("BENCH_POLL_S", "0.2")}
poll_max_s = {os.environ.get("BENCH_POLL_S", "1.0")}
poll_batch = 500
[webhooks]
allow_networks = ["127.0.0.1/32"]
batch = 500
[[accounts]]
name = "bench"
balance = 1_000_000_000_000_000
[[keys]]
account = "bench"
name = "bench"
key = "{KEY}"
[[channels]]
name = "mj"
type = "midjourney"
base_url = "http://127.0.0.1:{upstream}"
models = ["mj_imagine"]
[[prices]]
model = "mj_imagine"
mode = "per_call"
per_call = 100000
"""
    )
    return config


def wait_up(url: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


# -- load and receiver ------------------------------------------------------------------------


class Receiver:
    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.delays_ms: list[float] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        now = time.time() * 1000
        changed = body.get("finishTime") or body.get("startTime") or body.get("submitTime")
        self.arrivals.append(time.monotonic())
        if changed:
            self.delays_ms.append(now - changed)
        assert request.headers.get("webhook-signature", "").startswith("v1,")
        return web.Response(status=204)


async def loader(base: str, hook: str, duration: float, concurrency: int) -> tuple[int, list[float]]:
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {KEY}"}
    stop = time.monotonic() + duration
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one() -> None:
            while time.monotonic() < stop:
                started = time.perf_counter()
                body = {"prompt": "bench", "notifyHook": hook} if hook else {"prompt": "bench"}
                async with session.post(f"{base}/mj/submit/imagine", json=body) as r:
                    answer = await r.json(content_type=None)
                latencies.append((time.perf_counter() - started) * 1000)
                if not os.environ.get("BENCH_NO_FETCH"):
                    async with session.get(f"{base}/mj/task/{answer['result']}/fetch") as r:
                        await r.read()

        await asyncio.gather(*(one() for _ in range(concurrency)))
    return len(latencies), latencies


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(args: argparse.Namespace, gateway: str) -> None:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    hook_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", hook_port).start()
    hook = f"http://127.0.0.1:{hook_port}/hook" if not os.environ.get("BENCH_NO_HOOKS") else ""
    await loader(gateway, hook, 1.0, 4)  # warm-up
    receiver.arrivals.clear()
    receiver.delays_ms.clear()
    started = time.monotonic()
    count, latencies = await loader(gateway, hook, args.duration, args.concurrency)
    elapsed = time.monotonic() - started
    expected = 2 * count if hook else 0
    deadline = time.monotonic() + 120
    while len(receiver.arrivals) < expected and time.monotonic() < deadline:  # noqa: ASYNC110 - a bench
        await asyncio.sleep(0.1)
    await runner.cleanup()
    spread = (max(receiver.arrivals) - min(receiver.arrivals)) if len(receiver.arrivals) > 1 else float("nan")
    print(
        f"submits+fetches: {count} in {elapsed:.1f} s = {count / elapsed:.0f} submits/s "
        f"(c={args.concurrency}); submit latency p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {pct(latencies, 0.99):.1f} ms"
    )
    print(
        f"webhooks: {len(receiver.arrivals)} of {expected} delivered, {len(receiver.arrivals) / spread:.0f}/s; "
        f"state change -> delivery p50 {pct(receiver.delays_ms, 0.5):.0f} ms, "
        f"p99 {pct(receiver.delays_ms, 0.99):.0f} ms"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "upstream":
        run_upstream(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    upstream, gateway = free_port(), free_port()
    omnirelay = str(Path(sys.executable).with_name("omnirelay"))
    with tempfile.TemporaryDirectory() as home:
        config = gateway_config(Path(home), gateway, upstream)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
        procs = [
            subprocess.Popen([sys.executable, __file__, "upstream", str(upstream)]),
            # BENCH_GATEWAY_PREFIX runs the gateway under a profiler, e.g. "py-spy record -f raw -o prof.txt --"
            subprocess.Popen(
                [*os.environ.get("BENCH_GATEWAY_PREFIX", "").split(), omnirelay, "serve", "-c", str(config)],
                env=env,
                stdout=subprocess.DEVNULL,
            ),
        ]
        try:
            wait_up(f"http://127.0.0.1:{gateway}/healthz")
            asyncio.run(measure(args, f"http://127.0.0.1:{gateway}"))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    main()
