-- GET /v1/models.
bench = {
  name = "models",
  method = "GET",
  path = "/v1/models",
  expect = '"gpt-test"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
