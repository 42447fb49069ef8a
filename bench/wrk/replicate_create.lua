-- POST /v1/models/black-forest-labs/flux-schnell/predictions through a `replicate` channel to the fast
-- upstream, which answers the prediction `starting`. No webhook: webhooks off. Each create is a held
-- price, an upstream call and a durable group commit before the answer.
bench = {
  name = "replicate_create",
  method = "POST",
  path = "/v1/models/black-forest-labs/flux-schnell/predictions",
  body = '{"input":{"prompt":"a red fox in the snow","num_outputs":1}}',
  expect = '"status":"starting"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
