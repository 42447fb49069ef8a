-- POST /v1/embeddings, 4 sentences, through an `openai` channel to the fake upstream.
bench = {
  name = "embeddings",
  method = "POST",
  path = "/v1/embeddings",
  body = '{"model":"embed-test","input":["The cat sat on the mat.","A dog barked at night.",' ..
    '"Stocks fell sharply today.","Paris is the capital of France."]}',
  expect = '"embedding"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
