-- POST /v1beta/models/gemini-test:generateContent (Gemini native), relayed as is to a gemini channel.
-- The key goes in x-goog-api-key, as Google's SDK sends it.
bench = {
  name = "gemini",
  method = "POST",
  path = "/v1beta/models/gemini-test:generateContent",
  body = '{"contents":[{"role":"user","parts":[{"text":"Say hello in five words."}]}],' ..
    '"generationConfig":{"maxOutputTokens":32}}',
  expect = '"usageMetadata"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
wrk.headers["x-goog-api-key"] = wrk.headers["Authorization"]:sub(8)
wrk.headers["Authorization"] = nil
