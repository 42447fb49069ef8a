-- POST /v1/rerank (Jina's shape), 4 documents, through an `openai` channel to the fake upstream's /v1/rerank.
bench = {
  name = "rerank",
  method = "POST",
  path = "/v1/rerank",
  body = '{"model":"rerank-test","query":"What do cats eat?","documents":["The stock market fell today.",' ..
    '"Cats eat fish and mice.","Dogs chase cats.","Paris is the capital of France."],"top_n":3}',
  expect = '"relevance_score"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
