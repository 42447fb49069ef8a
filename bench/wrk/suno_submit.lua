-- POST /suno/submit/music (inspiration mode: a description, no lyrics) through a `suno` channel in the
-- aggregator dialect to the fast upstream, which accepts it at once. No notify_hook: webhooks off.
-- Each submit is a held price, an upstream call and a durable group commit before the answer.
bench = {
  name = "suno_submit",
  method = "POST",
  path = "/suno/submit/music",
  body = '{"gpt_description_prompt":"an upbeat synthwave song about a night drive","mv":"chirp-v4"}',
  expect = '"code":"success"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
