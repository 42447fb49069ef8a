-- Shared by the scenario scripts, which set `bench` = {name, method, path, body, expect}
-- (and `content_type` when the body is not JSON)
-- and then dofile() this file.
--
-- Environment: BENCH_KEY (bearer token; default sk-bench-master-key).
-- Every response is checked: a status other than 2xx counts in "non2xx"; a 2xx answer
-- whose body lacks `bench.expect` (e.g. the final "[DONE]" of a stream) counts in "bad_body".
-- done() prints ONE line: `BENCH_JSON {...}`, latencies in microseconds.

wrk.method = bench.method
wrk.path = bench.path
wrk.body = bench.body
if bench.body then
  wrk.headers["Content-Type"] = bench.content_type or "application/json"
end
local key = os.getenv("BENCH_KEY")
if key == nil or key == "" then
  key = "sk-bench-master-key"
end
wrk.headers["Authorization"] = "Bearer " .. key

-- per-thread state (each wrk thread has its own Lua state) ------------------
non2xx = 0
bad_body = 0
local expect = bench.expect

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif expect and not string.find(body, expect, 1, true) then
    bad_body = bad_body + 1
  end
end

-- main state -------------------------------------------------------------------
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local n2, bad = 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + (t:get("non2xx") or 0)
    bad = bad + (t:get("bad_body") or 0)
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"scenario":"%s","requests":%d,"duration_s":%.3f,"rps":%.1f,' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"non2xx":%d,"bad_body":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d,' ..
    '"err_status":%d,"errors":%d,"bytes":%d}\n',
    bench.name, summary.requests, secs, summary.requests / secs,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    n2, bad, e.connect, e.read, e.write, e.timeout, e.status,
    n2 + bad + e.connect + e.read + e.write + e.timeout, summary.bytes))
end
