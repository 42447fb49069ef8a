-- GET /v1/predictions/{id}, in turn over the succeeded predictions whose ids are in BENCH_TASKS
-- (comma-separated; bench/tasks.py creates them during its warm-up and waits until they succeeded).
local ids = {}
for id in string.gmatch(os.getenv("BENCH_TASKS") or "0", "[^,]+") do
  table.insert(ids, id)
end
bench = {
  name = "replicate_get",
  method = "GET",
  path = "/v1/predictions/" .. ids[1],
  expect = '"status":"', -- succeeded or not: bench/tasks.py says which
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local turn = 0
function request()
  turn = turn % #ids + 1
  return wrk.format(nil, "/v1/predictions/" .. ids[turn])
end
