"""Pure transforms of the OpenAI-compatible adapter, checked against JSON fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.base import Usage
from omnirelay.providers.openai_compat.errors import error_for_status
from omnirelay.providers.openai_compat.transform import (
    chunk_text,
    completion_text,
    is_usage_only_chunk,
    prepare_chat_body,
    wants_usage_chunk,
)

FIXTURES = Path(__file__).parent / "fixtures" / "openai_compat"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def test_stream_request_keeps_everything_but_model_and_asks_for_usage() -> None:
    case = fixture("stream_request.json")
    prepared = prepare_chat_body(case["client"], case["upstream_model"], stream=True)
    assert prepared == case["upstream"]
    assert case["client"]["model"] == "public-name", "the client's body is not mutated"
    assert not wants_usage_chunk(case["client"])


def test_non_stream_request_is_not_given_stream_options() -> None:
    body = {"model": "a", "messages": [{"role": "user", "content": "x"}]}
    assert prepare_chat_body(body, "b", stream=False) == {"model": "b", "messages": body["messages"]}


def test_tool_call_text_and_usage_are_read() -> None:
    response = fixture("tool_call_response.json")
    assert completion_text(response) == 'get_weather{"city": "Paris"}'
    assert Usage.from_wire(response["usage"]) == Usage(40, 12)


def test_usage_only_chunk_is_recognised() -> None:
    chunk = fixture("usage_chunk.json")
    assert is_usage_only_chunk(chunk)
    assert chunk_text(chunk) == ""
    assert not is_usage_only_chunk({"choices": [{"index": 0, "delta": {"content": "hi"}}], "usage": None})
    assert chunk_text({"choices": [{"index": 0, "delta": {"content": "hi"}}]}) == "hi"


def test_upstream_errors_are_classified() -> None:
    body = (
        b'{"error": {"message": "bad temperature", "type": "invalid_request_error",'
        b' "param": "temperature", "code": null}}'
    )
    rejected = error_for_status(400, body, "u")
    assert isinstance(rejected, UpstreamRejected) and not rejected.retryable
    assert (rejected.status_code, rejected.message, rejected.param) == (400, "bad temperature", "temperature")
    assert isinstance(error_for_status(401, b"{}", "u"), UpstreamAuthFailed)
    for status in (429, 500, 503):
        error = error_for_status(status, b"not json", "u")
        assert type(error) is UpstreamError and error.retryable


def test_sse_decoder_handles_any_chunking() -> None:
    from omnirelay.providers.sse import SSEDecoder

    stream = b'data: {"a":1}\n\n: keep-alive\n\ndata: {"b":2}\r\n\r\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n'
    whole = SSEDecoder().feed(stream)
    assert whole == [b'{"a":1}', b'{"b":2}', b"line1\nline2", b"[DONE]"]
    decoder = SSEDecoder()
    pieces = [p for i in range(len(stream)) for p in decoder.feed(stream[i : i + 1])]
    assert pieces == whole
    tail = SSEDecoder()
    assert tail.feed(b"data: x") == [] and tail.close() == [b"x"]
