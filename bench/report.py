"""Turn bench/run.sh's results (JSON lines) into the markdown table of bench/README.md.

    python bench/report.py RESULTS.jsonl [--db GATEWAY_SQLITE_DB]

Each input line is one wrk run: ``{"target": "direct"|"omnirelay", "scenario", "concurrency",
"rps", "p50_us", "p99_us", ...}``. With ``--db`` the gateway's store is read after it stopped,
to show that billing and request logs really were written for every measured request.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from pathlib import Path
from typing import Any

TARGET_RPS = 1500.0
"""Non-stream chat through the gateway, one worker, concurrency 64."""
TARGET_ADDED_P50_MS = 1.0
"""Added p50 latency at concurrency 1."""
NOISY_CPU_PCT = 25.0
"""A run during which other processes (or the hypervisor: steal) took more than this much of a core is flagged."""

SCENARIO_NAMES = {
    "chat": "chat, non-stream",
    "stream": "chat, stream (20 chunks)",
    "models": "model list",
    "embeddings": "embeddings (4 inputs)",
    "embeddings_local": "embeddings, local MiniLM (4 inputs)",
    "rerank": "rerank (4 documents)",
    "rerank_local": "rerank, local bi-encoder (4 documents)",
    "files": "file upload (1 MiB)",
    "responses": "Responses API, pass-through (non-stream)",
    "gemini": "Gemini generateContent, pass-through",
    "mj_submit": "Midjourney submit (imagine)",
    "mj_fetch": "Midjourney task fetch",
    "suno_submit": "Suno submit (music, inspiration mode)",
    "suno_fetch": "Suno task fetch (2 clips)",
    "replicate_create": "Replicate prediction create",
    "replicate_get": "Replicate prediction get",
}

TASK_SCENARIOS = frozenset(name for name in SCENARIO_NAMES if name.startswith(("mj_", "suno_", "replicate_")))
"""Task families: their targets are rates per worker (bench/tasks.py), not the chat latency target."""


def _ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def _rps(value: float) -> str:
    return f"{value:,.0f}"


def _noisy(run: dict[str, Any]) -> bool:
    return float(run.get("others_cpu_pct", 0.0)) > NOISY_CPU_PCT


def load(path: Path) -> dict[tuple[str, int, str], dict[str, Any]]:
    runs: dict[tuple[str, int, str], dict[str, Any]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            run = json.loads(line)
            runs[(run["scenario"], int(run["concurrency"]), run["target"])] = run
    return runs


def table(runs: dict[tuple[str, int, str], dict[str, Any]]) -> list[str]:
    lines = [
        "| scenario | conc. | direct req/s | direct p50 ms | direct p99 ms "
        "| omnirelay req/s | omnirelay p50 ms | omnirelay p99 ms | added p50 ms | omnirelay CPU | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    keys = sorted({(s, c) for s, c, _ in runs}, key=lambda k: (list(SCENARIO_NAMES).index(k[0]), k[1]))
    for scenario, conc in keys:
        direct, gateway = runs.get((scenario, conc, "direct")), runs.get((scenario, conc, "omnirelay"))
        cells = [SCENARIO_NAMES.get(scenario, scenario), str(conc)]
        for run in (direct, gateway):
            if run:
                cells += [_rps(run["rps"]) + (" !" if _noisy(run) else ""), _ms(run["p50_us"]), _ms(run["p99_us"])]
            else:
                cells += ["-", "-", "-"]
        added = _ms(gateway["p50_us"] - direct["p50_us"]) if direct and gateway else "-"
        cpu = f"{gateway['server_cpu_pct']:.0f}%" if gateway and "server_cpu_pct" in gateway else "-"
        errors = sum(r["errors"] for r in (direct, gateway) if r)
        lines.append("| " + " | ".join([*cells, added, cpu, str(errors)]) + " |")
    return lines


def targets(runs: dict[tuple[str, int, str], dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    gw64 = runs.get(("chat", 64, "omnirelay"))
    if gw64:
        ok = gw64["rps"] >= TARGET_RPS
        lines.append(
            f"- non-stream chat through omnirelay at c=64: {_rps(gw64['rps'])} req/s "
            f"(target >= {TARGET_RPS:,.0f}): {'MET' if ok else 'MISSED'}"
        )
    for scenario in SCENARIO_NAMES:
        if scenario == "files":  # the target is about relaying calls; an upload is parsed and written to disk
            continue
        if scenario in TASK_SCENARIOS:  # a submit waits for a durable commit; tasks have rate targets instead
            continue
        direct, gateway = runs.get((scenario, 1, "direct")), runs.get((scenario, 1, "omnirelay"))
        if direct and gateway:
            added = (gateway["p50_us"] - direct["p50_us"]) / 1000
            ok = added <= TARGET_ADDED_P50_MS
            lines.append(
                f"- {SCENARIO_NAMES[scenario]} at c=1: added p50 {added:.2f} ms "
                f"(target <= {TARGET_ADDED_P50_MS:.0f} ms): {'MET' if ok else 'MISSED'}"
            )
    return lines


def billing(db: Path, runs: dict[tuple[str, int, str], dict[str, Any]]) -> list[str]:
    measured = sum(r["requests"] for (s, _, t), r in runs.items() if t == "omnirelay" and s not in ("models", "files"))
    with sqlite3.connect(db) as conn:
        logs = conn.execute("SELECT count(*) FROM request_logs").fetchone()[0]
        ok_logs = conn.execute("SELECT count(*) FROM request_logs WHERE status = 200").fetchone()[0]
        entries = conn.execute("SELECT count(*) FROM ledger_entries").fetchone()[0]
        spent = conn.execute("SELECT coalesce(sum(spent), 0) FROM api_keys").fetchone()[0]
    verdict = "every measured chat request was logged" if ok_logs >= measured else "SOME REQUESTS WERE NOT LOGGED"
    return [
        f"- billing and logs: {logs:,} request log rows ({ok_logs:,} with status 200), {entries:,} ledger entries, "
        f"{spent:,} micro-units spent, for {measured:,} measured chat requests "
        f"(plus warm-up): {verdict}"
    ]


def progress(line: str) -> str:
    """One human line for one run, printed by bench/run.sh as it goes."""
    r = json.loads(line)
    return (
        f"{r['target']:>9} {r['scenario']:>6} c={r['concurrency']:<3} {r['rps']:>9,.0f} req/s  "
        f"p50 {_ms(r['p50_us']):>6} ms  p99 {_ms(r['p99_us']):>6} ms  errors {r['errors']}  "
        f"server CPU {r.get('server_cpu_pct', 0):.0f}%  others {r.get('others_cpu_pct', 0):.0f}%"
        + (f"  store backlog ~{r['store_backlog_rows']:,} rows" if r.get("store_backlog_rows") is not None else "")
        + ("  (disturbed)" if _noisy(r) else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="markdown summary of bench/run.sh results")
    parser.add_argument("results", type=Path, nargs="?")
    parser.add_argument("--db", type=Path, help="the gateway's SQLite database, read after it stopped")
    parser.add_argument("--line", help="print one run's JSON line as a progress line instead")
    args = parser.parse_args()
    if args.line is not None:
        print(progress(args.line))
        return
    if args.results is None:
        parser.error("give the results file")
    runs = load(args.results)
    out = table(runs)
    checks = targets(runs)
    if args.db is not None and args.db.exists():
        checks += billing(args.db, runs)
    backlog = [(k, r["store_backlog_rows"]) for k, r in runs.items() if r.get("store_backlog_rows") is not None]
    if backlog:
        (scenario, conc, _), rows = max(backlog, key=lambda item: item[1])
        checks.append(
            f"- write-behind backlog (request log rows answered but not yet committed) right after each run: "
            f"at most ~{rows:,} ({SCENARIO_NAMES.get(scenario, scenario)}, c={conc})"
        )
    noisy = [r for r in runs.values() if _noisy(r)]
    if noisy:
        checks.append(
            f"- `!`: {len(noisy)} run(s) during which other processes or CPU steal took more than "
            f"{NOISY_CPU_PCT:.0f}% of a core (a shared machine): treat those figures with care, or run again"
        )
    if checks:
        out += ["", *checks]
    print("\n".join(out))


if __name__ == "__main__":
    main()
