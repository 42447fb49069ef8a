"""Pure conversions of the Gemini ingress (Gemini request -> chat, chat answer and chunks -> Gemini),
checked against JSON fixtures, and the error shape every omnirelay error takes there."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from omnirelay.api.gemini.errors import error_object
from omnirelay.api.gemini.from_chat import generate_response
from omnirelay.api.gemini.stream import GeminiFragments
from omnirelay.api.gemini.to_chat import chat_request
from omnirelay.errors import (
    AuthenticationFailed,
    ChannelsDisabled,
    InsufficientBalance,
    InvalidRequest,
    ModelNotFound,
    OmniRelayError,
    PermissionDenied,
    RateLimited,
    UpstreamRejected,
    UpstreamTimeout,
)
from omnirelay.providers.usage import Usage, from_openai_chat
from omnirelay.relay.gemini_framing import GeminiFraming

FIXTURES = Path(__file__).parent / "fixtures" / "gemini_ingress"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def ask(**extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": "hi"}]}], **extra}


def test_a_gemini_request_becomes_a_chat_request() -> None:
    case = fixture("request_to_chat.json")
    sent = copy.deepcopy(case["gemini"])
    assert chat_request(sent, "gpt-test", stream=True) == case["chat"]
    assert sent == case["gemini"], "the client's body is not mutated"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"mode": "AUTO"}, "auto"),
        ({"mode": "NONE"}, "none"),
        ({"mode": "ANY"}, "required"),
        ({"mode": "ANY", "allowedFunctionNames": ["f", "g"]}, "required"),
        ({"mode": "VALIDATED"}, "auto"),
    ],
)
def test_function_calling_modes(config: dict[str, Any], expected: Any) -> None:
    tools = [{"functionDeclarations": [{"name": "f"}]}]
    body = ask(tools=tools, toolConfig={"functionCallingConfig": config})
    converted = chat_request(body, "m", stream=False)
    assert converted["tool_choice"] == expected
    assert converted["tools"][0]["function"]["parameters"] == {"type": "object", "properties": {}}
    assert "stream" not in converted


@pytest.mark.parametrize(
    ("thinking", "effort"),
    [({"thinkingLevel": "HIGH"}, "high"), ({"thinkingBudget": 512}, "low"), ({"thinkingBudget": 20000}, "high")],
)
def test_thinking_becomes_reasoning_effort(thinking: dict[str, Any], effort: str) -> None:
    converted = chat_request(ask(generationConfig={"thinkingConfig": thinking}), "m", stream=False)
    assert converted["reasoning_effort"] == effort


@pytest.mark.parametrize("budget", [0, -1])
def test_thinking_off_or_dynamic_leaves_the_upstream_default(budget: int) -> None:
    converted = chat_request(ask(generationConfig={"thinkingConfig": {"thinkingBudget": budget}}), "m", stream=False)
    assert "reasoning_effort" not in converted


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "Expected an object"),
        ({"contents": []}, "contents is not specified"),
        ({"contents": [{"role": "user", "parts": []}]}, "must not be empty"),
        (ask(tools=[{"googleSearch": {}}]), "`googleSearch` tool runs only on Gemini upstreams"),
        (ask(cachedContent="cachedContents/x"), "context cache"),
        (
            {"contents": [{"role": "user", "parts": [{"fileData": {"mimeType": "a/b", "fileUri": "https://x/f"}}]}]},
            "fileData",
        ),
        ({"contents": [{"parts": [{"functionResponse": {"name": "f", "response": {}}}]}]}, "answers no functionCall"),
    ],
)
def test_what_cannot_be_converted_is_a_clear_400(body: Any, words: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        chat_request(body, "m", stream=False)
    assert words in refused.value.message and refused.value.status_code == 400


def test_a_chat_answer_becomes_a_gemini_answer() -> None:
    case = fixture("response_from_chat.json")
    usage = from_openai_chat(case["chat"]["usage"])
    assert usage is not None
    assert generate_response(case["chat"], usage, model="gpt-test", thoughts=True) == case["gemini"]
    hidden = generate_response(case["chat"], usage, model="gpt-test", thoughts=False)
    assert all(not p.get("thought") for c in hidden["candidates"] for p in c["content"]["parts"])


def test_chat_chunks_become_gemini_fragments_with_usage_on_the_last() -> None:
    case = fixture("stream_from_chat.json")
    fragments = GeminiFragments("gpt-test", True, lambda text: Usage(0, 0))
    out = [f for chunk in case["chunks"] for f in fragments.feed(chunk)] + fragments.finish()
    assert out == case["fragments"]
    assert fragments.finish() == [], "the closing fragment is sent once"


def test_a_stream_without_usage_reports_the_gateways_count() -> None:
    counted: list[str] = []

    def count(text: str) -> Usage:
        counted.append(text)
        return Usage(7, 3)

    fragments = GeminiFragments("m", False, count)
    fragments.feed({"id": "chatcmpl-x", "choices": [{"index": 0, "delta": {"content": "a b c"}}]})
    fragments.feed({"id": "chatcmpl-x", "choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
    [last] = fragments.finish()
    assert counted == ["a b c"]
    assert last["candidates"][0]["finishReason"] == "MAX_TOKENS"
    assert last["usageMetadata"] == {"promptTokenCount": 7, "candidatesTokenCount": 3, "totalTokenCount": 10}


def test_the_json_array_framing() -> None:
    framing = GeminiFraming(sse=False)
    assert framing.frame(b"{}") + framing.frame(b"{}") + framing.close() == b"[{},\r\n{}]"
    assert GeminiFraming(sse=False).close() == b"[]"
    sse = GeminiFraming(sse=True)
    assert sse.frame(b"{}") == b"data: {}\r\n\r\n" and sse.close() == b""


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (InvalidRequest("bad"), 400, "INVALID_ARGUMENT"),
        (AuthenticationFailed("Incorrect API key provided."), 400, "INVALID_ARGUMENT"),
        (AuthenticationFailed("none", code="missing_api_key"), 403, "PERMISSION_DENIED"),
        (PermissionDenied("no"), 403, "PERMISSION_DENIED"),
        (ModelNotFound("gone"), 404, "NOT_FOUND"),
        (InsufficientBalance("poor"), 402, "FAILED_PRECONDITION"),
        (RateLimited("slow", retry_after=1), 429, "RESOURCE_EXHAUSTED"),
        (ChannelsDisabled("off"), 503, "UNAVAILABLE"),
        (UpstreamTimeout("late"), 504, "DEADLINE_EXCEEDED"),
        (OmniRelayError("ours"), 500, "INTERNAL"),
        (
            UpstreamRejected("sig", status_code=400, type="x", code="FAILED_PRECONDITION", param=None),
            400,
            "FAILED_PRECONDITION",
        ),
    ],
)
def test_every_error_has_a_gemini_shape(error: OmniRelayError, code: int, status: str) -> None:
    shaped = error_object(error)
    assert (shaped["code"], shaped["status"]) == (code, status) and shaped["message"]
    if code == 400 and isinstance(error, AuthenticationFailed):
        assert shaped["details"][0]["reason"] == "API_KEY_INVALID"
