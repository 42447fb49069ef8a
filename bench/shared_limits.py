"""What key limits counted in Redis add to a call: the same gateway, keys with and without limits.

One gateway (``bench/gateway.sh`` with ``REDIS_URL``: balances, limits and breakers in Redis) in
front of ``bench/fast_upstream.py``. Three keys of one account take turns, one request each, on
keep-alive connections, so a disturbance of the machine hits all three alike:

* ``none``: no limit (no limit round trip: the baseline, with Redis balances);
* ``rpm``: an rpm limit never reached (one admission script per call);
* ``all``: rpm, tpm and max_concurrency (admission script, plus the release script sent after the
  answer, without waiting).

    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/shared_limits.py --requests 3000

Reported: p50 and p90 per key, and the added p50 of ``rpm`` and ``all`` over ``none``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADMIN = "sk-bench-admin-key"
BODY = json.dumps({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 16})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, path: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"process {process.pid} exited while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit(f"timed out waiting for 127.0.0.1:{port}{path}")


def new_key(port: int, name: str, limits: dict[str, int]) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"account_id": 1, "name": name, **limits})
    conn.request("POST", "/api/admin/keys", body, {"Authorization": f"Bearer {ADMIN}"})
    answer = conn.getresponse()
    payload = json.loads(answer.read())
    if answer.status >= 300:
        sys.exit(f"could not create key {name}: {payload}")
    return str(payload["key"])


def timed_call(conn: http.client.HTTPConnection, key: str) -> float:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", BODY, headers)
    answer = conn.getresponse()
    answer.read()
    elapsed = time.perf_counter() - start
    if answer.status != 200:
        sys.exit(f"a call answered {answer.status}")
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def measure(port: int, keys: dict[str, str], requests: int, warmup: int) -> dict[str, list[float]]:
    conns = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=10) for name in keys}
    times: dict[str, list[float]] = {name: [] for name in keys}
    names = list(keys)
    for i in range(warmup + requests):
        for name in names[i % len(names) :] + names[: i % len(names)]:  # rotate who goes first
            elapsed = timed_call(conns[name], keys[name])
            if i >= warmup:
                times[name].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per key")
    parser.add_argument("--warmup", type=int, default=300, help="unrecorded requests per key first")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    upstream_port, gateway_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="omnirelay-bench-limits.") as work:
        env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
        upstream = subprocess.Popen(
            [sys.executable, str(HERE / "fast_upstream.py"), "--host", "127.0.0.1", "--port", str(upstream_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        gateway_env = {
            **env,
            "REDIS_URL": redis_url,
            "BENCH_RPM": "none",
            "GATEWAY_PORT": str(gateway_port),
            "UPSTREAM_API_BASE": f"http://127.0.0.1:{upstream_port}/v1",
            "BENCH_HOME": f"{work}/home",
        }
        log = Path(work, "gateway.log").open("wb")
        gateway = subprocess.Popen([str(HERE / "gateway.sh")], env=gateway_env, stdout=log, stderr=log)
        try:
            wait_http(upstream_port, "/healthz", upstream)
            wait_http(gateway_port, "/healthz", gateway)
            keys = {
                "none": os.environ.get("GATEWAY_KEY", "sk-bench-master-key"),
                "rpm": new_key(gateway_port, "rpm", {"rpm": 10**9}),
                "all": new_key(gateway_port, "all", {"rpm": 10**9, "tpm": 2 * 10**9, "max_concurrency": 10**6}),
            }
            times = measure(gateway_port, keys, args.requests, args.warmup)
        finally:
            for process in (gateway, upstream):
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
    base = percentile(times["none"], 0.5)
    print(
        f"{'key':<6} {'p50 ms':>8} {'p90 ms':>8} {'added p50 ms':>13}   ({args.requests} calls each, Redis {redis_url})"
    )
    for name, values in times.items():
        p50 = percentile(values, 0.5)
        print(f"{name:<6} {p50:8.3f} {percentile(values, 0.9):8.3f} {p50 - base:13.3f}")


if __name__ == "__main__":
    main()
