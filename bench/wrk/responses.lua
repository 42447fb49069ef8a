-- POST /v1/responses, not streamed: relayed as is to an OpenAI channel that serves the Responses API.
bench = {
  name = "responses",
  method = "POST",
  path = "/v1/responses",
  body = '{"model":"gpt-resp","input":"Say hello in five words.","max_output_tokens":32}',
  expect = '"usage"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
