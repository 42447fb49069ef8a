-- POST /v1/rerank on the built-in local bi-encoder (MiniLM int8 on onnxruntime), 4 documents.
-- Gateway only: bench/run.sh skips the "direct" target for scenarios named *_local.
bench = {
  name = "rerank_local",
  method = "POST",
  path = "/v1/rerank",
  body = '{"model":"minilm-l6-biencoder-rerank","query":"What do cats eat?","documents":["The stock market fell today.",' ..
    '"Cats eat fish and mice.","Dogs chase cats.","Paris is the capital of France."],"top_n":3}',
  expect = '"relevance_score"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
