"""Pure conversions between OpenAI chat and the Gemini API (the ``gemini`` channel type), checked
against JSON fixtures in ``tests/fixtures/gemini/``."""

from __future__ import annotations

import base64
import copy
import json
import struct
from pathlib import Path
from typing import Any

import orjson
import pytest

import omnirelay.errors as errors
from omnirelay.channels.base_url import normalise_base_url
from omnirelay.errors import UpstreamError, UpstreamRejected
from omnirelay.providers.gemini.answer import openai_completion_from_gemini
from omnirelay.providers.gemini.config import thinking_config
from omnirelay.providers.gemini.embeddings import embedding_request, openai_embeddings_from_gemini
from omnirelay.providers.gemini.errors import error_for_status, stream_error
from omnirelay.providers.gemini.kind import GEMINI
from omnirelay.providers.gemini.request import SKIP_SIGNATURE, gemini_request_from_openai
from omnirelay.providers.gemini.signatures import refuses_signature, without_signatures
from omnirelay.providers.gemini.stream import GeminiChunks
from omnirelay.providers.usage import Usage
from omnirelay.testing._fake_gemini_request import GeminiError, generate_problem

FIXTURES = Path(__file__).parent / "fixtures" / "gemini"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def chat(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "gemini-2.5-flash", "messages": list(messages) or [{"role": "user", "content": "hi"}], **extra}


def test_openai_request_becomes_a_gemini_request() -> None:
    case = fixture("request_to_gemini.json")
    sent = copy.deepcopy(case["openai"])
    converted = gemini_request_from_openai(sent)
    assert converted == case["gemini"]
    assert sent == case["openai"], "the client's body is not mutated"
    unsigned = orjson.loads(orjson.dumps(converted).replace(b'"thoughtSignature"', b'"_sig"'))
    for content in unsigned["contents"]:
        content["parts"] = [{k: v for k, v in p.items() if k != "_sig"} for p in content["parts"]]
    generate_problem(unsigned, "gemini-2.5-pro", False)  # what the real API checks, the fake checks too


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ({"type": "function", "function": {"name": "f"}}, {"mode": "ANY", "allowedFunctionNames": ["f"]}),
    ],
)
def test_tool_choices(choice: Any, expected: dict[str, Any]) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    converted = gemini_request_from_openai(chat(tools=tools, tool_choice=choice))
    assert converted["toolConfig"] == {"functionCallingConfig": expected}
    assert converted["tools"] == [{"functionDeclarations": [{"name": "f"}]}]


@pytest.mark.parametrize(
    ("effort", "model", "expected"),
    [
        ("none", "gemini-2.5-flash", {"thinkingBudget": 0}),
        ("low", "gemini-2.5-flash", {"thinkingBudget": 1024, "includeThoughts": True}),
        ("medium", "gemini-2.5-pro", {"thinkingBudget": 8192, "includeThoughts": True}),
        ("high", "gemini-3-pro-preview", {"thinkingLevel": "HIGH", "includeThoughts": True}),
        ("minimal", "gemini-3-flash", {"thinkingLevel": "MINIMAL", "includeThoughts": True}),
        (None, "gemini-2.5-pro", None),
    ],
)
def test_reasoning_effort_becomes_a_thinking_config(effort: Any, model: str, expected: Any) -> None:
    assert thinking_config(effort, model) == expected


def test_json_mode_and_a_lone_string_stop() -> None:
    converted = gemini_request_from_openai(chat(response_format={"type": "json_object"}, stop="END", max_tokens=5))
    assert converted["generationConfig"] == {
        "maxOutputTokens": 5,
        "stopSequences": ["END"],
        "responseMimeType": "application/json",
    }


def test_unsigned_calls_get_the_documented_placeholder_on_the_first_call_only() -> None:
    calls = [{"id": f"c{i}", "type": "function", "function": {"name": "f", "arguments": "{}"}} for i in range(2)]
    body = chat(
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c0", "content": "1"},
        {"role": "tool", "tool_call_id": "c1", "content": "2"},
    )
    model_turn = gemini_request_from_openai(body)["contents"][1]
    assert [p.get("thoughtSignature") for p in model_turn["parts"]] == ["skip_thought_signature_validator", None]


def test_tool_results_answer_the_calls_in_their_order() -> None:
    calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
        for i, name in enumerate(("first", "second"))
    ]
    body = chat(
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": calls},
        {"role": "tool", "tool_call_id": "c1", "content": "[1, 2]"},
        {"role": "tool", "tool_call_id": "c0", "content": "not json"},
    )
    answers = gemini_request_from_openai(body)["contents"][2]
    assert answers == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "first", "response": {"output": "not json"}}},
            {"functionResponse": {"name": "second", "response": {"output": [1, 2]}}},
        ],
    }


@pytest.mark.parametrize(
    ("message", "param"),
    [
        (
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x.example/a.png"}}]},
            "messages.0.content.0",
        ),
        (
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png,abc"}}]},
            "messages.0.content.0",
        ),
        ({"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}, "messages.0.content.0"),
        ({"role": "user", "content": [{"type": "refusal"}]}, "messages.0.content.0"),
        ({"role": "tool", "tool_call_id": "nobody", "content": "x"}, "messages.0.tool_call_id"),
        ({"role": "function", "content": "x"}, "messages.0.role"),
    ],
)
def test_what_gemini_cannot_take_is_a_400_naming_the_field(message: dict[str, Any], param: str) -> None:
    with pytest.raises(UpstreamRejected) as caught:
        gemini_request_from_openai(chat(message))
    assert (caught.value.status_code, caught.value.param, caught.value.retryable) == (400, param, False)


def test_a_gemini_files_uri_is_passed_as_file_data() -> None:
    uri = "https://generativelanguage.googleapis.com/v1beta/files/abc"
    body = chat({"role": "user", "content": [{"type": "image_url", "image_url": {"url": uri}}]})
    assert gemini_request_from_openai(body)["contents"][0]["parts"] == [{"fileData": {"fileUri": uri}}]


@pytest.mark.parametrize("case", fixture("response_to_openai.json")["cases"], ids=lambda c: c["name"])
def test_gemini_answers_become_openai_completions(case: dict[str, Any]) -> None:
    completion, usage = openai_completion_from_gemini(case["gemini"], model="gemini-2.5-flash", created=1700000000)
    assert completion == case["openai"]
    assert usage is not None and usage.prompt_tokens == case["openai"]["usage"]["prompt_tokens"]


def test_usage_counts_every_token_kind() -> None:
    answer = fixture("response_to_openai.json")["cases"][0]["gemini"]
    _, usage = openai_completion_from_gemini(answer, model="m", created=0)
    assert usage == Usage(66, 109, cache_read=40, reasoning=95)  # tool-use prompt tokens are input too
    _, none = openai_completion_from_gemini({**answer, "usageMetadata": None}, model="m", created=0)
    assert none is None


@pytest.mark.parametrize("case", fixture("stream_to_openai.json")["cases"], ids=lambda c: c["name"])
def test_gemini_fragments_become_openai_chunks(case: dict[str, Any]) -> None:
    chunks = GeminiChunks("asked-model", created=1700000000)
    produced = [c for fragment in case["fragments"] for c in chunks.feed(fragment)]
    assert chunks.done
    assert produced + chunks.finish() == case["chunks"]
    assert chunks.usage is not None and chunks.usage.prompt_tokens == case["chunks"][-1]["usage"]["prompt_tokens"]


def test_streamed_and_plain_answers_name_their_calls_alike() -> None:
    fragment = fixture("stream_to_openai.json")["cases"][1]["fragments"][0]
    streamed = [
        c for c in GeminiChunks("m").feed(fragment) if c["choices"] and "tool_calls" in c["choices"][0]["delta"]
    ]
    plain, _ = openai_completion_from_gemini(fragment, model="m", created=0)
    ids = [call["id"] for call in plain["choices"][0]["message"]["tool_calls"]]
    assert [c["choices"][0]["delta"]["tool_calls"][0]["id"] for c in streamed] == ids and len(set(ids)) == 2


def test_a_stream_is_done_only_when_every_candidate_finished() -> None:
    chunks = GeminiChunks("m")
    two = [{"index": 0, "content": {"parts": [{"text": "a"}]}}, {"index": 1, "content": {"parts": [{"text": "b"}]}}]
    chunks.feed({"candidates": two, "responseId": "r"})
    chunks.feed({"candidates": [{"index": 0, "finishReason": "STOP"}]})
    assert not chunks.done
    last = chunks.feed({"candidates": [{"index": 1, "finishReason": "RECITATION"}]})
    assert chunks.done and last[-1]["choices"][0] == {
        "index": 1,
        "delta": {},
        "logprobs": None,
        "finish_reason": "content_filter",
    }


def test_a_blocked_prompt_in_a_stream_finishes_with_content_filter() -> None:
    chunks = GeminiChunks("m")
    produced = chunks.feed({"promptFeedback": {"blockReason": "SAFETY"}, "responseId": "r"})
    assert chunks.done and [c["choices"][0]["finish_reason"] for c in produced] == [None, "content_filter"]


@pytest.mark.parametrize("case", fixture("errors.json")["cases"], ids=lambda c: f"{c['status']}-{c['code']}")
def test_upstream_errors_map_to_the_error_tree(case: dict[str, Any]) -> None:
    body = case["body"] if isinstance(case["body"], str) else json.dumps(case["body"])
    error = error_for_status(case["status"], body.encode(), "https://g.example")
    assert type(error) is getattr(errors, case["error"])
    assert (error.retryable, error.status_code, error.code) == (case["retryable"], case["status_code"], case["code"])
    if "message" in case:
        assert error.message == case["message"]


def test_an_error_fragment_mid_stream() -> None:
    overloaded = stream_error({"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}, "g")
    internal = stream_error({"error": {"code": 500, "message": "oops", "status": "INTERNAL"}}, "g")
    assert isinstance(overloaded, UpstreamError) and overloaded.code == "upstream_overloaded"
    assert internal.code == "bad_gateway" and "INTERNAL" in internal.message and "oops" in internal.message


def test_embeddings_one_text_many_texts_and_base64() -> None:
    method, body, texts = embedding_request({"model": "e", "input": "hello world", "dimensions": 4}, "e")
    assert (method, body) == (
        "embedContent",
        {"content": {"parts": [{"text": "hello world"}]}, "outputDimensionality": 4},
    )
    answer, usage = openai_embeddings_from_gemini(
        {"embedding": {"values": [0.5, -0.25, 0, 1]}}, model="e", texts=texts, encoding=None
    )
    assert answer == {
        "object": "list",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5, -0.25, 0.0, 1.0]}],
        "model": "e",
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }
    assert usage == Usage(3, 0)
    method, body, texts = embedding_request({"model": "e", "input": ["a", "bb"]}, "e")
    assert method == "batchEmbedContents" and [r["model"] for r in body["requests"]] == ["models/e", "models/e"]
    vectors = {"embeddings": [{"values": [1.0]}, {"values": [0.5, 0.25]}]}
    encoded, _ = openai_embeddings_from_gemini(vectors, model="e", texts=texts, encoding="base64")
    assert struct.unpack("<2f", base64.b64decode(encoded["data"][1]["embedding"])) == (0.5, 0.25)
    with pytest.raises(UpstreamError):
        openai_embeddings_from_gemini({"embeddings": [{"values": [1.0]}]}, model="e", texts=texts, encoding=None)
    with pytest.raises(UpstreamRejected):
        embedding_request({"model": "e", "input": [[1, 2, 3]]}, "e")


@pytest.mark.parametrize(
    ("pasted", "stored"),
    [
        ("https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com"),
        ("https://generativelanguage.googleapis.com/v1beta/", "https://generativelanguage.googleapis.com"),
        ("https://generativelanguage.googleapis.com/v1", "https://generativelanguage.googleapis.com"),
        ("http://proxy.example/gemini/v1beta", "http://proxy.example/gemini"),
    ],
)
def test_base_urls_are_stored_as_the_api_root(pasted: str, stored: str) -> None:
    assert normalise_base_url("gemini", pasted, GEMINI.base_url) == stored


def test_model_purposes() -> None:
    assert [GEMINI.purpose(m) for m in ("gemini-embedding-001", "text-embedding-004", "gemini-2.5-pro")] == [
        "embeddings",
        "embeddings",
        "chat",
    ]


def test_the_fake_refuses_what_gemini_refuses() -> None:
    """The conversion's output is checked by the fake's own validator: a wrong field would be caught."""
    with pytest.raises(GeminiError):
        generate_problem({"contents": [], "messages": []}, "gemini-2.5-flash", False)


def test_the_retry_without_signatures_drops_only_real_ones() -> None:
    request = fixture("request_to_gemini.json")["gemini"]
    unsigned = without_signatures(request)
    assert unsigned is not None and unsigned["contents"][1]["parts"] == [
        {"text": "Checking both."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": SKIP_SIGNATURE},
        {"functionCall": {"name": "get_time", "args": {"city": "Oslo"}}},
    ]
    assert unsigned["contents"][0] is request["contents"][0] and without_signatures(unsigned) is None
    corrupted = error_for_status(400, b'{"error": {"message": "Corrupted thought signature."}}', "g")
    other = error_for_status(400, b'{"error": {"message": "Invalid JSON payload received."}}', "g")
    assert isinstance(corrupted, UpstreamRejected) and refuses_signature(corrupted)
    assert isinstance(other, UpstreamRejected) and not refuses_signature(other)
