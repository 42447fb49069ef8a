-- POST /v1/files: a 1 MiB file in a multipart body (the gateway streams it to disk; files are not billed).
local boundary = "omnirelay-bench-7d1f0c"
local payload = string.rep("0123456789abcdef", 65536)  -- 1 MiB
bench = {
  name = "files",
  method = "POST",
  path = "/v1/files",
  content_type = "multipart/form-data; boundary=" .. boundary,
  body = "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
    .. "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="bench.jsonl"\r\n'
    .. "Content-Type: application/octet-stream\r\n\r\n"
    .. payload .. "\r\n"
    .. "--" .. boundary .. "--\r\n",
  expect = '"object":"file"',
}
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
