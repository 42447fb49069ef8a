-- POST /mj/submit/imagine through a `midjourney` channel to the fast upstream; every task pushes
-- its events to the fast upstream's /hook (BENCH_HOOK). Each submit is a durable group commit.
local hook = os.getenv("BENCH_HOOK") or ""
local body = '{"prompt":"a red fox in the snow --ar 3:2"}'
if hook ~= "" then
  body = '{"prompt":"a red fox in the snow --ar 3:2","notifyHook":"' .. hook .. '"}'
end
bench = {
  name = "mj_submit",
  method = "POST",
  path = "/mj/submit/imagine",
  body = body,
  expect = '"code":1',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
