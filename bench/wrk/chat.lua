-- POST /v1/chat/completions, not streamed.
bench = {
  name = "chat",
  method = "POST",
  path = "/v1/chat/completions",
  body = '{"model":"gpt-test","messages":[{"role":"user","content":"Say hello in five words."}],"max_tokens":32}',
  expect = '"usage"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
