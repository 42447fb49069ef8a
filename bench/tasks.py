"""Benchmark the task engine: Midjourney submits and fetches per second, and signed webhook deliveries.

Three processes on loopback: ``bench/fast_upstream.py`` (a Midjourney-Proxy that accepts every
submit at once and reports every task finished on the first poll, and also the webhook
receiver), the gateway (SQLite, billing on, one worker process), and ``wrk`` as the client.

    .venv/bin/python bench/tasks.py --duration 10 --concurrency 32
    .venv/bin/python bench/tasks.py --family suno --no-webhooks       # Suno submits (aggregator), fetches
    .venv/bin/python bench/tasks.py --family replicate --no-webhooks  # Replicate creates, gets
    .venv/bin/python bench/tasks.py --family kling --no-webhooks      # Kling text-to-video submits, queries

Reported: submits/s (each one a durable group commit, a held price, an upstream call), fetches/s,
and for the webhooks every task sends (SUBMITTED, then SUCCESS after the engine's poll):
deliveries/s and the delay from the state change (the time in the task JSON) to arrival.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-tasks-0000000000000000000000000000000000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gateway_config(home: Path, port: int, upstream: int, poll_s: float) -> Path:
    config = home / "bench.toml"
    config.write_text(
        f"""
home = "{home}"
admin_key = "sk-bench-admin-key"
[server]
port = {port}
[tasks]
poll_min_s = {poll_s}
poll_max_s = {max(poll_s, 1.0)}
poll_batch = 500
[webhooks]
allow_networks = ["127.0.0.1/32"]
batch = 500
retry_schedule_s = [3.0, 30.0]
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
[[channels]]
name = "suno"
type = "suno"
base_url = "http://127.0.0.1:{upstream}"
secrets = ["sk-fake-suno"]
models = ["suno_music", "suno_lyrics"]
options = {{ dialect = "aggregator" }}
[[prices]]
model = "suno_music"
mode = "per_call"
per_call = 100000
[[prices]]
model = "suno_lyrics"
mode = "per_call"
per_call = 10000
[[channels]]
name = "replicate"
type = "replicate"
base_url = "http://127.0.0.1:{upstream}"
secrets = ["r8_fake"]
models = ["black-forest-labs/flux-schnell"]
[[prices]]
model = "black-forest-labs/flux-schnell"
mode = "per_call"
per_call = 3000
[[channels]]
name = "kling"
type = "kling"
base_url = "http://127.0.0.1:{upstream}"
secrets = ["ak-bench|sk-bench-kling-secret"]
models = ["kling-v1"]
[[prices]]
model = "kling-v1"
mode = "per_call"
per_call = 100000
"""
    )
    return config


@dataclass(frozen=True)
class Family:
    """One task family's two scenarios and how the warm-up makes and checks a task."""

    submit_script: str
    fetch_script: str
    submit_path: str
    body: dict[str, Any]
    task_id: Callable[[Any], str]
    fetch_path: str
    finished: Callable[[Any], bool]


FAMILIES = {
    "mj": Family(
        "mj_submit.lua",
        "mj_fetch.lua",
        "/mj/submit/imagine",
        {"prompt": "one to fetch"},
        lambda answer: str(answer["result"]),
        "/mj/task/{}/fetch",
        lambda task: task.get("status") == "SUCCESS",
    ),
    "suno": Family(
        "suno_submit.lua",
        "suno_fetch.lua",
        "/suno/submit/music",
        {"gpt_description_prompt": "a song to fetch", "mv": "chirp-v4"},
        lambda answer: str(answer["data"]),
        "/suno/fetch/{}",
        lambda answer: answer["data"]["status"] == "SUCCESS",
    ),
    "replicate": Family(
        "replicate_create.lua",
        "replicate_get.lua",
        "/v1/models/black-forest-labs/flux-schnell/predictions",
        {"input": {"prompt": "one to get"}},
        lambda answer: str(answer["id"]),
        "/v1/predictions/{}",
        lambda prediction: prediction.get("status") == "succeeded",
    ),
    "kling": Family(
        "kling_submit.lua",
        "kling_query.lua",
        "/v1/videos/text2video",
        {"model_name": "kling-v1", "prompt": "one to query"},
        lambda answer: str(answer["data"]["task_id"]),
        "/v1/videos/text2video/{}",
        lambda answer: answer["data"]["task_status"] == "succeed",
    ),
}
AUTH = {"Authorization": f"Bearer {KEY}"}


def get(url: str, **headers: str) -> Any:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def wrk(script: str, base: str, args: argparse.Namespace, **env: str) -> dict[str, Any]:
    command = [
        "wrk",
        "-t2",
        f"-c{args.concurrency}",
        f"-d{args.duration}s",
        "--latency",
        "-s",
        str(HERE / "wrk" / script),
    ]
    out = subprocess.run(
        [*command, base], env={**os.environ, "BENCH_KEY": KEY, **env}, capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH_JSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def post(url: str) -> None:
    request = urllib.request.Request(url, data=b"", method="POST")  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def collect(upstream: str, expected: int) -> dict[str, Any]:
    """Poll the receiver's counters until ``expected`` deliveries arrived (or two minutes passed)."""
    deadline = time.monotonic() + 120
    stats: dict[str, Any] = {"count": 0, "delays_ms": [], "first": None, "last": None}
    while time.monotonic() < deadline:
        time.sleep(0.5)
        got = get(f"{upstream}/hook/stats")
        stats["count"] += got["count"]
        stats["delays_ms"] += got["delays_ms"]
        stats["first"] = stats["first"] or got["first"]
        stats["last"] = got["last"] or stats["last"]
        if stats["count"] >= expected:
            break
    return stats


def rate(stats: dict[str, Any]) -> float:
    spread_s = ((stats["last"] or 0) - (stats["first"] or 0)) / 1000
    return stats["count"] / spread_s if spread_s > 0 else float("nan")


def measure(args: argparse.Namespace, gateway: str, upstream: str) -> None:
    """Steady state: submits with webhooks on; every task sends SUBMITTED, then SUCCESS after a poll."""
    hook = "" if args.no_webhooks else f"{upstream}/hook"
    submits = wrk(FAMILIES[args.family].submit_script, gateway, args, BENCH_HOOK=hook)
    tail = "(no webhooks)" if not hook else "(each with 2 webhooks, polled after 0.2 s)"
    print(
        f"{args.family} submits: {submits['rps']:.0f}/s at c={args.concurrency} {tail}: "
        f"p50 {submits['p50_us'] / 1000:.1f} ms, p99 {submits['p99_us'] / 1000:.1f} ms, errors {submits['errors']}"
    )
    if not hook:
        return
    stats = collect(upstream, 2 * submits["requests"])
    p50, p99 = pct(stats["delays_ms"], 0.5), pct(stats["delays_ms"], 0.99)
    print(
        f"webhooks alongside: {stats['count']} of {2 * submits['requests']} delivered, {rate(stats):.0f}/s; "
        f"state change -> delivery p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )


def drain(args: argparse.Namespace, start: Any, upstream: str) -> None:
    """Deliveries alone: tasks are submitted by a gateway that sends no webhooks, then a restarted
    gateway that does finds them all due at once (as after a receiver or gateway outage)."""
    gateway, process = start(webhooks=False)
    submits = wrk("mj_submit.lua", gateway, args, BENCH_HOOK=f"{upstream}/hook")
    time.sleep(3.0)  # the engine polls every task to SUCCESS: two messages per task wait in the outbox
    process.terminate()
    process.wait(10)
    get(f"{upstream}/hook/stats")
    gateway, process = start(webhooks=True)
    try:
        stats = collect(upstream, 2 * submits["requests"])
    finally:
        process.terminate()
        process.wait(10)
    print(f"webhooks drained from the outbox: {stats['count']} of {2 * submits['requests']}, {rate(stats):.0f}/s")


def post_json(url: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())


def warm_tasks(args: argparse.Namespace, gateway: str) -> tuple[list[str], str]:
    """Tasks to fetch, made during the warm-up, and the state they reached (finished, if the engine polled)."""
    family = FAMILIES[args.family]
    ids = [family.task_id(post_json(gateway + family.submit_path, family.body)) for _ in range(args.warm_tasks)]
    deadline = time.monotonic() + 15
    pending = list(ids)
    while pending and time.monotonic() < deadline:
        pending = [i for i in pending if not family.finished(get(gateway + family.fetch_path.format(i), **AUTH))]
        if pending:
            time.sleep(0.2)
    return ids, "submitted, not polled yet" if pending else "finished"


def fetch_rate(args: argparse.Namespace, gateway: str) -> None:
    ids, state = warm_tasks(args, gateway)
    fetches = wrk(FAMILIES[args.family].fetch_script, gateway, args, BENCH_TASK=ids[0], BENCH_TASKS=",".join(ids))
    print(
        f"{args.family} fetches: {fetches['rps']:.0f}/s at c={args.concurrency} over {len(ids)} tasks ({state}): "
        f"p50 {fetches['p50_us'] / 1000:.1f} ms, p99 {fetches['p99_us'] / 1000:.1f} ms, errors {fetches['errors']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-webhooks", action="store_true", help="submits without notifyHook")
    parser.add_argument("--poll-s", type=float, default=0.2, help="the engine's poll interval")
    parser.add_argument("--family", choices=sorted(FAMILIES), default="mj", help="whose submits and fetches")
    parser.add_argument("--warm-tasks", type=int, default=1, help="tasks made before the fetch run, fetched in turn")
    args = parser.parse_args()
    if args.family != "mj" and not args.no_webhooks:
        parser.error("only Midjourney tasks carry the bench's webhook; pass --no-webhooks")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    upstream_port = free_port()
    upstream = f"http://127.0.0.1:{upstream_port}"
    omnirelay = str(Path(sys.executable).with_name("omnirelay"))
    fast = subprocess.Popen([sys.executable, str(HERE / "fast_upstream.py"), "--port", str(upstream_port)])
    try:
        for phase in ("steady", "drain"):
            if phase == "drain" and args.no_webhooks:
                break
            with tempfile.TemporaryDirectory() as home:
                port = free_port()
                config = gateway_config(Path(home), port, upstream_port, args.poll_s)

                def start(webhooks: bool = True, config: Path = config, port: int = port) -> tuple[str, Any]:
                    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
                    env["OMNIRELAY_WEBHOOKS__WORKER"] = "true" if webhooks else "false"
                    with (config.parent / "gateway.log").open("ab") as log:  # its access log, off the terminal
                        process = subprocess.Popen(
                            [omnirelay, "serve", "-c", str(config)], env=env, stdout=log, stderr=log
                        )
                    wait_up(f"http://127.0.0.1:{port}/healthz")
                    return f"http://127.0.0.1:{port}", process

                if phase == "drain":
                    drain(args, start, upstream)
                    continue
                gateway, process = start()
                try:
                    measure(args, gateway, upstream)
                    fetch_rate(args, gateway)
                finally:
                    process.terminate()
                    process.wait(10)
    finally:
        fast.terminate()
        fast.wait(10)


if __name__ == "__main__":
    main()
