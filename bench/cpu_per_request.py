"""CPU time per request of the gateway and of the bare aiohttp relay, in the same run.

On a shared machine, requests per second move with whatever else runs; the CPU a server spends
per request moves much less. This script starts ``fast_upstream.py``, the gateway
(``gateway.sh``: billing, request logs and metrics on) and ``http_clients.py --client aiohttp``,
then takes turns: one ``wrk`` run (``wrk/chat.lua``, not streamed) against each target per round.
Each run's figure is the server process's user + system time (``/proc/<pid>/stat``, all its
threads, read again ``--settle`` seconds after wrk stops so the write-behind's commits count)
divided by the requests wrk completed. The median of the rounds is reported, and the ratio
relay / gateway, which is what the gateway's throughput at c=64 is as a share of the relay's
when both saturate one core.

    .venv/bin/python bench/cpu_per_request.py --rounds 5 --duration 5
    .venv/bin/python bench/cpu_per_request.py --baseline-bin /tmp/old/omnirelay   # an older build too
    REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/cpu_per_request.py --no-relay --concurrency 8

``--baseline-bin``: another ``omnirelay`` executable (for example a wrapper that sets
``PYTHONPATH`` to an older ``src/``), measured in the same rounds. With ``REDIS_URL`` set, the
gateways keep balances, limits and breakers in Redis (``BENCH_RPM`` as in ``gateway.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of process ``pid`` and all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{process.args!r} exited while starting")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.25)
    sys.exit(f"nothing listens on 127.0.0.1:{port} after {seconds:g} s")


def wrk(port: int, concurrency: int, seconds: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["-s", str(HERE / "wrk" / "chat.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    if "BENCH_JSON " not in out:
        sys.exit(f"wrk against port {port} printed no result: {out[-2000:]}")
    result: dict[str, float] = json.loads(out.split("BENCH_JSON ", 1)[1].splitlines()[0])
    return result


@contextmanager
def started(command: list[str], port: int, log: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_listening(port, process)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


def gateway_env(base: dict[str, str], port: int, upstream: int, home: str, binary: str | None) -> dict[str, str]:
    env = {**base, "GATEWAY_PORT": str(port), "UPSTREAM_API_BASE": f"http://127.0.0.1:{upstream}/v1"}
    env["BENCH_HOME"] = home
    if binary:
        env["OMNIRELAY_BIN"] = binary
    return env


def measure(targets: dict[str, tuple[int, int]], args: argparse.Namespace) -> dict[str, list[float]]:
    """``targets``: name -> (port, pid). CPU µs per request, one figure per round and target."""
    for port, _ in targets.values():
        wrk(port, args.concurrency, 2)  # warm-up, not counted
    time.sleep(args.settle)
    figures: dict[str, list[float]] = {name: [] for name in targets}
    for round_number in range(args.rounds):
        for name, (port, pid) in targets.items():
            before = cpu_seconds(pid)
            result = wrk(port, args.concurrency, args.duration)
            time.sleep(args.settle)
            per_request = (cpu_seconds(pid) - before) / max(1, result["requests"]) * 1e6
            figures[name].append(per_request)
            print(
                f"round {round_number} {name:>8}: {int(result['requests']):>6} requests, {result['rps']:>7.0f} req/s, "
                f"{per_request:5.0f} µs CPU/request, errors {int(result['errors'])}",
                flush=True,
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--settle", type=float, default=1.5, help="seconds after each run before reading CPU")
    parser.add_argument("--baseline-bin", help="another omnirelay executable, measured as 'baseline'")
    parser.add_argument("--no-relay", action="store_true", help="skip the bare aiohttp relay")
    args = parser.parse_args()
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="omnirelay-cpu.") as work, ExitStack() as stack:
        up = free_port()
        upstream = [py, str(HERE / "fast_upstream.py"), "--host", "127.0.0.1", "--port", str(up)]
        stack.enter_context(started(upstream, up, Path(work, "upstream.log"), env))
        targets: dict[str, tuple[int, int]] = {}
        binaries = {"gateway": None, **({"baseline": args.baseline_bin} if args.baseline_bin else {})}
        for name, binary in binaries.items():
            port = free_port()
            gw_env = gateway_env(env, port, up, f"{work}/{name}", binary)
            process = stack.enter_context(started([str(HERE / "gateway.sh")], port, Path(work, f"{name}.log"), gw_env))
            targets[name] = (port, process.pid)
        if not args.no_relay:
            port = free_port()
            relay = [py, str(HERE / "http_clients.py"), "--client", "aiohttp", "--port", str(port)]
            relay += ["--upstream", f"http://127.0.0.1:{up}/v1"]
            targets["relay"] = (port, stack.enter_context(started(relay, port, Path(work, "relay.log"), env)).pid)
        figures = measure(targets, args)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    for name, value in medians.items():
        print(
            f"{name:>8}: median {value:5.0f} µs CPU/request  (rounds: {', '.join(f'{v:.0f}' for v in figures[name])})"
        )
    for name in ("gateway", "baseline"):
        if "relay" in medians and name in medians:
            print(
                f"relay / {name}: {medians['relay'] / medians[name]:.2f}  (≈ its share of the relay's c=64 throughput)"
            )


if __name__ == "__main__":
    main()
