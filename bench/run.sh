#!/usr/bin/env bash
# omnirelay benchmark: the fast fake upstream directly vs through omnirelay (one worker, SQLite,
# billing and request logs ON), driven by wrk, on loopback only.
#
#   bench/run.sh                          # 3 scenarios x concurrency 1 and 64, 10 s each (~3 min)
#   DURATION=5 WARMUP=1 bench/run.sh      # shorter
#
# Scenarios (bench/wrk/*.lua): chat (POST /v1/chat/completions), stream (the same with
# "stream": true, 20 chunks, latency = time to last byte), models (GET /v1/models).
# Optional: rerank (POST /v1/rerank through the fake upstream), rerank_local (the built-in
# local bi-encoder; a *_local scenario has no "direct" target), e.g. SCENARIOS="rerank rerank_local";
# embeddings / embeddings_local (POST /v1/embeddings, 4 sentences, through the fake upstream / the
# built-in MiniLM); files (POST /v1/files, a 1 MiB multipart upload streamed to disk; not billed, so not counted as log rows);
# responses (POST /v1/responses relayed as is to an OpenAI channel with options.responses) and gemini
# (POST /v1beta/models/gemini-test:generateContent relayed as is to a gemini channel): the pass-through paths.
# Environment:
#   DURATION=10        seconds per measured wrk run
#   WARMUP=2           unrecorded seconds per scenario and target before measuring
#   CONCURRENCY="1 64" wrk connections, one measured run per value
#   SCENARIOS="chat stream models"
#   WRK_THREADS=1      wrk threads (a 2-core machine: leave the other core to the servers)
#   UPSTREAM_PORT=18901 GATEWAY_PORT=3901   (127.0.0.1)
#   RESULTS_DIR=bench/results               where results-<time>.{jsonl,md} go
#   KEEP_WORK=0        1: keep the temporary directory (gateway db, logs) after a good run
#   REDIS_URL, BENCH_RPM  passed to bench/gateway.sh: balances, key limits and breakers in Redis (see there)
# Every process started here is stopped on exit, by PID.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-2}"
CONCURRENCY="${CONCURRENCY:-1 64}"
SCENARIOS="${SCENARIOS:-chat stream models}"
WRK_THREADS="${WRK_THREADS:-1}"
UPSTREAM_PORT="${UPSTREAM_PORT:-18901}"
GATEWAY_PORT="${GATEWAY_PORT:-3901}"
RESULTS_DIR="${RESULTS_DIR:-$BENCH_DIR/results}"
KEEP_WORK="${KEEP_WORK:-0}"
export GATEWAY_KEY="${GATEWAY_KEY:-sk-bench-master-key}"
export BENCH_KEY="$GATEWAY_KEY"   # read by bench/wrk/common.lua
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- tools
if [[ ! -x "$ROOT/.venv/bin/omnirelay" ]]; then
  log "creating $ROOT/.venv with omnirelay (scripts/_env.sh)"
  # shellcheck source=../scripts/_env.sh
  source "$ROOT/scripts/_env.sh" ""
fi
PY="$ROOT/.venv/bin/python"
if ! command -v wrk >/dev/null; then
  log "installing wrk with apt-get"
  SUDO=()
  [[ "$(id -u)" -ne 0 ]] && command -v sudo >/dev/null && SUDO=(sudo)
  "${SUDO[@]}" apt-get install -y -q wrk || { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q wrk; }
fi
command -v wrk >/dev/null || die "wrk is not installed"
command -v curl >/dev/null || die "curl is not installed"

# ---------------------------------------------------------------- processes
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$UPSTREAM_PORT" "$GATEWAY_PORT"; do
  port_busy "$port" && die "port $port is already in use on 127.0.0.1 (set UPSTREAM_PORT / GATEWAY_PORT)"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/omnirelay-bench.XXXXXX")"
declare -a PIDS=()
stop_pid() {  # TERM, up to 15 s for a graceful stop (the gateway flushes its write-behind), then KILL
  local pid="$1" _
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid
  for pid in "${PIDS[@]:-}"; do [[ -n "$pid" ]] && stop_pid "$pid"; done
  if [[ $rc -ne 0 ]]; then
    for f in "$WORK"/*.log; do [[ -f "$f" ]] && { echo "--- $f (last lines)" >&2; tail -n 20 "$f" >&2; }; done
    log "failed (exit $rc); logs and database kept in $WORK"
  elif [[ "$KEEP_WORK" == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() {  # wait_http URL PID SECONDS: until GET URL answers 200
  local url="$1" pid="$2" _
  for _ in $(seq 1 $(( $3 * 4 ))); do
    kill -0 "$pid" 2>/dev/null || die "process $pid exited while starting (see $WORK)"
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" == 200 ]] && return 0
    sleep 0.25
  done
  die "timed out waiting for $url"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
CLK_TCK="$(getconf CLK_TCK)"

"$PY" "$BENCH_DIR/fast_upstream.py" --host 127.0.0.1 --port "$UPSTREAM_PORT" >"$WORK/upstream.log" 2>&1 &
UPSTREAM_PID=$!
PIDS+=("$UPSTREAM_PID")
wait_http "http://127.0.0.1:$UPSTREAM_PORT/healthz" "$UPSTREAM_PID" 20
log "fake upstream pid $UPSTREAM_PID on 127.0.0.1:$UPSTREAM_PORT"

GATEWAY_PORT="$GATEWAY_PORT" UPSTREAM_API_BASE="http://127.0.0.1:$UPSTREAM_PORT/v1" BENCH_HOME="$WORK/home" \
  "$BENCH_DIR/gateway.sh" >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
PIDS+=("$GATEWAY_PID")
wait_http "http://127.0.0.1:$GATEWAY_PORT/healthz" "$GATEWAY_PID" 60
code="$(curl -s -o "$WORK/first-chat.json" -w '%{http_code}' --max-time 10 \
  "http://127.0.0.1:$GATEWAY_PORT/v1/chat/completions" -H "Authorization: Bearer $GATEWAY_KEY" \
  -H 'Content-Type: application/json' -d '{"model":"gpt-test","messages":[{"role":"user","content":"ready?"}]}')"
[[ "$code" == 200 ]] || die "first chat through the gateway answered HTTP $code: $(cat "$WORK/first-chat.json")"
log "omnirelay pid $GATEWAY_PID on 127.0.0.1:$GATEWAY_PORT (billing and request logs on)"

# ---------------------------------------------------------------- measurements
# which code was measured: the commit, plus a digest of src/ when the tree differs from it (or has no commit)
REVISION="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
if ! (cd "$ROOT" && git diff --quiet HEAD -- src 2>/dev/null && [[ -z "$(git status --porcelain -- src)" ]]); then
  REVISION="$REVISION + src/ sha256:$(cd "$ROOT" && find src -name '*.py' -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
fi
STAMP="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS_DIR"
JSONL="$RESULTS_DIR/results-$STAMP.jsonl"
REPORT="$RESULTS_DIR/results-$STAMP.md"
: >"$JSONL"

port_of() { [[ "$1" == direct ]] && echo "$UPSTREAM_PORT" || echo "$GATEWAY_PORT"; }
pid_of() { [[ "$1" == direct ]] && echo "$UPSTREAM_PID" || echo "$GATEWAY_PID"; }

EXPECTED_LOGS=1   # chat requests the gateway has answered so far (the first one above): each is a log row
count_requests() {  # the "requests" of wrk's BENCH_JSON line in $1, 0 when there is none
  local n
  n="$(sed -n 's/^BENCH_JSON .*"requests":\([0-9]*\).*/\1/p' <<<"$1" | head -n 1)"
  echo "${n:-0}"
}

warmup() {  # warmup TARGET SCENARIO
  local max=1 c out
  for c in $CONCURRENCY; do (( c > max )) && max=$c; done
  out="$(timeout $(( WARMUP + 30 )) wrk -t"$WRK_THREADS" -c"$max" -d"${WARMUP}s" --timeout 10s \
    -s "$BENCH_DIR/wrk/$2.lua" "http://127.0.0.1:$(port_of "$1")" 2>&1 || true)"
  if [[ "$1" == omnirelay && "$2" != models && "$2" != files ]]; then
    EXPECTED_LOGS=$(( EXPECTED_LOGS + $(count_requests "$out") ))
  fi
}

store_backlog() {  # request log rows answered but not yet committed by the write-behind (give or take the requests in flight when wrk stopped)
  local committed
  committed="$("$PY" -c 'import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=5)
print(c.execute("SELECT count(*) FROM request_logs").fetchone()[0])' "$WORK/home/omnirelay.db" 2>/dev/null || echo -1)"
  if (( committed < 0 )); then echo null; else echo $(( EXPECTED_LOGS > committed ? EXPECTED_LOGS - committed : 0 )); fi
}

# user + nice + system + steal: softirq (loopback TCP) is left out, it is the benchmark's own traffic
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $9; exit}' /proc/stat; }

measure() {  # measure TARGET SCENARIO CONCURRENCY: one wrk run, one JSON line in $JSONL
  local target="$1" scen="$2" conc="$3" pid out json s0 s1 b0 b1 w0 w1 wrk_cpu cpu others backlog
  pid="$(pid_of "$target")"
  kill -0 "$pid" 2>/dev/null || die "$target server (pid $pid) is gone"
  s0="$(cpu_ticks "$pid")"; b0="$(busy_ticks)"; w0="$(date +%s%N)"
  out="$( { TIMEFORMAT='%U %S'; time timeout $(( DURATION + 60 )) wrk -t"$WRK_THREADS" -c"$conc" -d"${DURATION}s" \
    --timeout 10s -s "$BENCH_DIR/wrk/$scen.lua" "http://127.0.0.1:$(port_of "$target")"; } 2>"$WORK/wrk.time")" \
    || die "wrk failed: $out $(cat "$WORK/wrk.time")"
  s1="$(cpu_ticks "$pid")"; b1="$(busy_ticks)"; w1="$(date +%s%N)"
  wrk_cpu="$(tail -n 1 "$WORK/wrk.time")"
  # CPU in % of one core over the run: the server measured, and everything else on the machine
  # (machine busy incl. steal - server - wrk), which flags runs disturbed by other work
  read -r cpu others < <(awk -v s="$(( s1 - s0 ))" -v b="$(( b1 - b0 ))" -v hz="$CLK_TCK" -v ns="$(( w1 - w0 ))" \
    -v wrk="$wrk_cpu" 'BEGIN{split(wrk, w, " "); secs = ns / 1e9; server = s / hz / secs * 100;
      o = (b / hz - s / hz - w[1] - w[2]) / secs * 100; printf "%.1f %.1f\n", server, (o < 0 ? 0 : o)}')
  json="$(sed -n 's/^BENCH_JSON //p' <<<"$out")"
  [[ -n "$json" ]] || die "no BENCH_JSON line from wrk: $out"
  backlog=null
  if [[ "$target" == omnirelay && "$scen" != models && "$scen" != files ]]; then
    EXPECTED_LOGS=$(( EXPECTED_LOGS + $(count_requests "$out") ))
    backlog="$(store_backlog)"
  fi
  json="{\"target\":\"$target\",\"concurrency\":$conc,\"server_cpu_pct\":$cpu,\"others_cpu_pct\":$others,\"store_backlog_rows\":$backlog,${json#\{}"
  echo "$json" >>"$JSONL"
  "$PY" "$BENCH_DIR/report.py" --line "$json" >&2
}

log "wrk: -t$WRK_THREADS, ${DURATION}s per run, ${WARMUP}s warm-up, concurrency: $CONCURRENCY; scenarios: $SCENARIOS"
for scen in $SCENARIOS; do
  [[ -f "$BENCH_DIR/wrk/$scen.lua" ]] || die "no scenario script bench/wrk/$scen.lua"
  [[ "$scen" == *_local ]] || warmup direct "$scen"
  warmup omnirelay "$scen"
  for conc in $CONCURRENCY; do
    [[ "$scen" == *_local ]] || measure direct "$scen" "$conc"
    measure omnirelay "$scen" "$conc"
  done
done

stop_pid "$GATEWAY_PID"   # graceful: the write-behind flushes, so the store can be checked
cp "$WORK/gateway.log" "$RESULTS_DIR/results-$STAMP.gateway.log"

# ---------------------------------------------------------------- report
{
  echo "# omnirelay benchmark $(date -u +%FT%TZ)"
  echo
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(uname -sr)"
  echo "- $("$PY" -V), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), omnirelay $REVISION"
  echo "- wrk -t$WRK_THREADS, ${DURATION}s per run after ${WARMUP}s warm-up; one omnirelay worker, SQLite, billing and logs on"
  echo
  "$PY" "$BENCH_DIR/report.py" "$JSONL" --db "$WORK/home/omnirelay.db"
} >"$REPORT"
echo
cat "$REPORT"
log "saved $REPORT and $JSONL"
