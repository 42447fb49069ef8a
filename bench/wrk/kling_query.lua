-- GET /v1/videos/text2video/{task_id}, in turn over the tasks whose ids are in BENCH_TASKS
-- (comma-separated; bench/tasks.py submits them during its warm-up and waits until they succeeded).
local ids = {}
for id in string.gmatch(os.getenv("BENCH_TASKS") or "0", "[^,]+") do
  table.insert(ids, id)
end
bench = {
  name = "kling_query",
  method = "GET",
  path = "/v1/videos/text2video/" .. ids[1],
  expect = '"task_status":"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local turn = 0
function request()
  turn = turn % #ids + 1
  return wrk.format(nil, "/v1/videos/text2video/" .. ids[turn])
end
