-- POST /v1/chat/completions with "stream": true; wrk's latency is the time to the last byte.
bench = {
  name = "stream",
  method = "POST",
  path = "/v1/chat/completions",
  body = '{"model":"gpt-test","messages":[{"role":"user","content":"Say hello in five words."}],"max_tokens":32,"stream":true}',
  expect = "data: [DONE]",
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
