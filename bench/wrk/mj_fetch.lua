-- GET /mj/task/{id}/fetch of one finished task (BENCH_TASK): what clients poll.
bench = {
  name = "mj_fetch",
  method = "GET",
  path = "/mj/task/" .. (os.getenv("BENCH_TASK") or "0") .. "/fetch",
  expect = '"status"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
