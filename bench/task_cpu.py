"""Gateway CPU per task submit, per family: the measure that holds on a shared, noisy machine.

Wall-clock rates on a 2-core VM shared with other work swing by 2x; the CPU the gateway process
itself spends per submit does not. This starts ``fast_upstream.py`` and one gateway (the same
settings as ``bench/tasks.py``, SQLite, billing on, no webhooks, the engine not polling during
the run), drives submits with ``wrk`` for each family in turn, and reads the gateway's
``utime + stime`` (all its threads) from ``/proc/<pid>/stat`` before and after each run:

    .venv/bin/python bench/task_cpu.py                              # mj suno replicate kling, 5 s each
    .venv/bin/python bench/task_cpu.py --families replicate --duration 8 --rounds 3

Each run is preceded by a warm-up (unrecorded) and followed by a short settle, so the
write-behind and the group commits of the last submits are counted; the gateway's idle CPU over
the same time (measured before the runs) is subtracted. Reported: µs of gateway CPU per submit
(the median over ``--rounds``), submits/s and errors.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tasks import FAMILIES, free_port, gateway_config, post_json, wait_up, wrk

TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_S = 0.5


def cpu_s(pid: int) -> float:
    """utime + stime of the whole process (every thread), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def idle_rate(pid: int, seconds: float = 2.0) -> float:
    """The gateway's own background CPU (engine ticks, flushes), in CPU-s per wall-s."""
    before, started = cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_s(pid) - before) / (time.monotonic() - started)


def one_run(args: argparse.Namespace, script: str, gateway: str, pid: int, idle: float, **env: str) -> dict[str, Any]:
    before, started = cpu_s(pid), time.monotonic()
    result = wrk(script, gateway, args, BENCH_HOOK="", **env)
    time.sleep(SETTLE_S)
    spent = cpu_s(pid) - before - idle * (time.monotonic() - started)
    requests = int(result["requests"])
    return {"us": 1e6 * spent / max(requests, 1), "rps": result["rps"], "errors": result["errors"]}


def report(family: str, what: str, runs: list[dict[str, Any]]) -> None:
    us = ", ".join(f"{r['us']:.0f}" for r in runs)
    rates = ", ".join(f"{r['rps']:.0f}" for r in runs)
    median = statistics.median(r["us"] for r in runs)
    errors = sum(r["errors"] for r in runs)
    print(f"{family:9} CPU per {what}: median {median:6.0f} µs (runs {us}); {rates}/s; errors {errors}", flush=True)


def measure(args: argparse.Namespace, gateway: str, pid: int) -> None:
    idle = idle_rate(pid)
    print(f"gateway idle CPU: {100 * idle:.1f}% of a core (subtracted)")
    warm = argparse.Namespace(**{**vars(args), "duration": args.warmup})
    for family in args.families:
        script = FAMILIES[family].submit_script
        wrk(script, gateway, warm, BENCH_HOOK="")
        time.sleep(SETTLE_S)
        report(family, "submit", [one_run(args, script, gateway, pid, idle) for _ in range(args.rounds)])
        if args.fetch:  # tasks just submitted (the engine does not poll during the run), read from memory
            made = FAMILIES[family]
            ids = [made.task_id(post_json(gateway + made.submit_path, made.body)) for _ in range(64)]
            script, env = FAMILIES[family].fetch_script, {"BENCH_TASK": ids[0], "BENCH_TASKS": ",".join(ids)}
            wrk(script, gateway, warm, **env)
            report(family, "fetch", [one_run(args, script, gateway, pid, idle, **env) for _ in range(args.rounds)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", nargs="+", choices=sorted(FAMILIES), default=["mj", "suno", "replicate", "kling"])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--fetch", action="store_true", help="also fetches of 64 submitted tasks, in turn")
    parser.add_argument("--keep", action="store_true", help="leave the gateway running until Enter (for py-spy)")
    args = parser.parse_args()
    upstream_port = free_port()
    fast = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fast_upstream.py")), "--port", str(upstream_port)]
    )
    try:
        with tempfile.TemporaryDirectory() as home:
            port = free_port()
            config = gateway_config(Path(home), port, upstream_port, 1000.0)
            env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
            env["OMNIRELAY_WEBHOOKS__WORKER"] = "false"
            omnirelay = str(Path(sys.executable).with_name("omnirelay"))
            with (Path(home) / "gateway.log").open("ab") as log:
                process = subprocess.Popen([omnirelay, "serve", "-c", str(config)], env=env, stdout=log, stderr=log)
            try:
                wait_up(f"http://127.0.0.1:{port}/healthz")
                print(f"gateway pid {process.pid} on port {port}", flush=True)
                if args.keep:
                    input("press Enter to stop")
                else:
                    measure(args, f"http://127.0.0.1:{port}", process.pid)
            finally:
                process.terminate()
                process.wait(10)
    finally:
        fast.terminate()
        fast.wait(10)


if __name__ == "__main__":
    main()
