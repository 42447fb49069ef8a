"""Pure conversions between Anthropic Messages and OpenAI chat completions, checked against JSON fixtures."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from omnirelay.errors import InvalidRequest, UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.anthropic.errors import error_for_status, stream_error
from omnirelay.providers.anthropic.stream import AnthropicEvents, OpenAIChunks, event_frame
from omnirelay.providers.anthropic.transform import anthropic_message_from_openai, openai_request_from_anthropic
from omnirelay.providers.anthropic.transform_upstream import (
    anthropic_request_from_openai,
    openai_completion_from_anthropic,
)

FIXTURES = Path(__file__).parent / "fixtures" / "anthropic"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def minimal(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], **extra}


def test_anthropic_request_becomes_an_openai_request() -> None:
    case = fixture("request_to_openai.json")
    sent = copy.deepcopy(case["anthropic"])
    assert openai_request_from_anthropic(sent) == case["openai"]
    assert sent == case["anthropic"], "the client's body is not mutated"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ({"type": "auto"}, "auto"),
        ({"type": "none"}, "none"),
        ({"type": "tool", "name": "f"}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_tool_choices_and_a_plain_system_string(choice: dict[str, Any], expected: Any) -> None:
    tools = [{"name": "f", "input_schema": {"type": "object"}}]
    converted = openai_request_from_anthropic(minimal(system="Be brief.", tools=tools, tool_choice=choice))
    assert converted["messages"][0] == {"role": "system", "content": "Be brief."}
    assert converted["tool_choice"] == expected
    assert "stream" not in converted and "parallel_tool_calls" not in converted


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ([], "body"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
        (minimal(messages=[]), "messages"),
        (minimal(messages=[{"role": "system", "content": "x"}]), "messages.0.role"),
        (minimal(messages=[{"role": "user", "content": [{"type": "audio"}]}]), "messages.0.content.0"),
        (minimal(tools=[{"type": "web_search_20250305", "name": "web_search"}]), "tools.0"),
        (minimal(tool_choice={"type": "sometimes"}), "tool_choice"),
    ],
)
def test_malformed_anthropic_requests_name_the_field(body: Any, param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        openai_request_from_anthropic(body)
    assert caught.value.param == param


@pytest.mark.parametrize("case", fixture("response_to_anthropic.json"), ids=lambda c: c["name"])
def test_openai_answer_becomes_an_anthropic_message(case: dict[str, Any]) -> None:
    assert anthropic_message_from_openai(case["openai"]) == case["anthropic"]


def test_openai_request_becomes_an_anthropic_request() -> None:
    case = fixture("request_to_anthropic.json")
    assert anthropic_request_from_openai(case["openai"], case["default_max_tokens"]) == case["anthropic"]


def test_max_tokens_is_kept_and_what_anthropic_cannot_express_is_refused() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 7}
    assert anthropic_request_from_openai(body, 4096)["max_tokens"] == 7
    for bad, param in [
        ({**body, "n": 2}, "n"),
        ({**body, "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "messages.0.content.0"),
        ({**body, "messages": [{"role": "function", "content": "x"}]}, "messages.0.role"),
    ]:
        with pytest.raises(UpstreamRejected) as caught:
            anthropic_request_from_openai(bad, 4096)
        assert (caught.value.status_code, caught.value.param, caught.value.retryable) == (400, param, False)


def test_anthropic_answer_becomes_an_openai_completion() -> None:
    case = fixture("response_to_openai.json")
    assert openai_completion_from_anthropic(case["anthropic"], created=case["created"]) == case["openai"]


def test_openai_chunks_become_anthropic_events() -> None:
    case = fixture("stream_openai_to_anthropic.json")
    events = AnthropicEvents(case["model"])
    produced = [event for chunk in case["chunks"] for event in events.feed(chunk)]
    assert produced + events.finish() == case["events"]
    assert events.finish() == [], "the closing events are sent once"


def test_an_empty_openai_stream_still_makes_a_whole_anthropic_message() -> None:
    types = [event["type"] for event in AnthropicEvents("public-name").finish()]
    assert types == ["message_start", "ping", "message_delta", "message_stop"]


def test_anthropic_events_become_openai_chunks() -> None:
    case = fixture("stream_anthropic_to_openai.json")
    chunks = OpenAIChunks(created=case["created"])
    produced = [chunk for event in case["events"] for chunk in chunks.feed(event)]
    assert produced == [{**case["head"], **chunk} for chunk in case["chunks"]]
    assert chunks.done


def test_events_are_framed_with_their_name() -> None:
    assert event_frame({"type": "ping"}) == b'event: ping\ndata: {"type":"ping"}\n\n'


def test_upstream_errors_are_classified() -> None:
    def body(kind: str, message: str) -> bytes:
        return json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()

    overloaded = error_for_status(529, body("overloaded_error", "Overloaded"), "u")
    assert type(overloaded) is UpstreamError and overloaded.retryable and overloaded.code == "upstream_overloaded"
    rejected = error_for_status(400, body("invalid_request_error", "max_tokens: too large"), "u")
    assert isinstance(rejected, UpstreamRejected) and not rejected.retryable
    assert (rejected.status_code, rejected.message, rejected.type) == (
        400,
        "max_tokens: too large",
        "invalid_request_error",
    )
    assert isinstance(error_for_status(401, body("authentication_error", "invalid x-api-key"), "u"), UpstreamAuthFailed)
    for status in (429, 500, 503):
        error = error_for_status(status, b"not json", "u")
        assert type(error) is UpstreamError and error.retryable
    mid_stream = stream_error({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}, "u")
    assert mid_stream.retryable and "Overloaded" in mid_stream.message


def test_json_mode_reaches_an_anthropic_upstream_as_an_instruction_and_a_schema_is_refused() -> None:
    messages = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "a fox as JSON"}]
    body = {"model": "claude", "messages": messages, "response_format": {"type": "json_object"}}
    out = anthropic_request_from_openai(body, 1024)
    assert out["system"].startswith("Be terse.") and "valid JSON object" in out["system"]
    schema = {"type": "json_schema", "json_schema": {"name": "fox", "schema": {"type": "object"}}}
    with pytest.raises(UpstreamRejected) as refused:
        anthropic_request_from_openai({**body, "response_format": schema}, 1024)
    assert refused.value.status_code == 400 and refused.value.param == "response_format"
