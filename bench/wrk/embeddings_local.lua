-- POST /v1/embeddings, 4 sentences, on the built-in local MiniLM (int8 ONNX on onnxruntime).
-- Gateway only: bench/run.sh skips the "direct" target for scenarios named *_local.
bench = {
  name = "embeddings_local",
  method = "POST",
  path = "/v1/embeddings",
  body = '{"model":"all-minilm-l6-v2","input":["The cat sat on the mat.","A dog barked at night.",' ..
    '"Stocks fell sharply today.","Paris is the capital of France."]}',
  expect = '"embedding"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
