-- POST /v1/videos/text2video through a `kling` channel to the fast upstream, which accepts it at once.
-- No callback: webhooks off. Each submit is a held price, a JWT-signed upstream call and a durable
-- group commit before the answer.
bench = {
  name = "kling_submit",
  method = "POST",
  path = "/v1/videos/text2video",
  body = '{"model_name":"kling-v1","prompt":"a fox runs through the snow","duration":"5"}',
  expect = '"task_status":"submitted"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
