-- GET /suno/fetch/{id}, in turn over the finished tasks whose ids are in BENCH_TASKS (comma-separated;
-- bench/tasks.py submits them during its warm-up and waits until the engine polled them to SUCCESS).
local ids = {}
for id in string.gmatch(os.getenv("BENCH_TASKS") or "0", "[^,]+") do
  table.insert(ids, id)
end
bench = {
  name = "suno_fetch",
  method = "GET",
  path = "/suno/fetch/" .. ids[1],
  expect = '"status":"', -- finished or not: bench/tasks.py says which
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local turn = 0
function request()
  turn = turn % #ids + 1
  return wrk.format(nil, "/suno/fetch/" .. ids[turn])
end
