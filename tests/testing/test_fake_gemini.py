"""The fake Gemini API behaves like the real one for the official ``google-genai`` SDK; its knobs do what they say."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from google import genai
from google.genai import errors, types

from omnirelay.testing import FakeGemini, FakeGeminiKnobs, serve_in_thread

KEY = "g-key"
GET_TIME = types.FunctionDeclaration(
    name="get_time",
    description="Local time",
    parameters=types.Schema(
        type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)}, required=["city"]
    ),
)
Fake = tuple[FakeGemini, genai.Client, str]


@pytest.fixture
def fake() -> Iterator[Fake]:
    upstream = FakeGemini(FakeGeminiKnobs(api_key=KEY))
    with serve_in_thread(upstream.app) as url:
        yield upstream, genai.Client(api_key=KEY, http_options=types.HttpOptions(base_url=url)), url


def _post(url: str, path: str, body: Any, **params: str) -> httpx.Response:
    return httpx.post(f"{url}/v1beta/models/{path}", json=body, params=params, headers={"x-goog-api-key": KEY})


def _tools(mode: str = "AUTO") -> types.GenerateContentConfig:
    calling = types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode(mode))
    return types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[GET_TIME])],
        tool_config=types.ToolConfig(function_calling_config=calling),
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )


def test_text_answer_and_usage(fake: Fake) -> None:
    _, client, _ = fake
    answer = client.models.generate_content(
        model="gemini-2.0-flash",
        contents="one two",
        config=types.GenerateContentConfig(system_instruction="Be terse."),
    )
    assert answer.text == "Hello! You said: one two"
    assert answer.candidates and answer.candidates[0].finish_reason == types.FinishReason.STOP
    usage = answer.usage_metadata
    assert usage is not None and answer.model_version == "gemini-2.0-flash" and answer.response_id
    assert (usage.prompt_token_count, usage.candidates_token_count, usage.total_token_count) == (10, 5, 15)
    assert usage.thoughts_token_count is None and usage.cached_content_token_count is None


def test_usage_knobs_cached_thoughts_tool_use_and_override(fake: Fake) -> None:
    upstream, client, _ = fake
    upstream.knobs.cached_tokens, upstream.knobs.thoughts_tokens, upstream.knobs.tool_use_prompt_tokens = 40, 95, 7
    usage = client.models.generate_content(model="gemini-2.5-pro", contents="one two").usage_metadata
    assert usage is not None
    # promptTokenCount includes the cached tokens (here more than the 5 counted ones)
    assert (usage.prompt_token_count, usage.cached_content_token_count) == (40, 40)
    assert (usage.candidates_token_count, usage.thoughts_token_count, usage.tool_use_prompt_token_count) == (5, 95, 7)
    assert usage.total_token_count == 40 + 5 + 95 + 7
    upstream.knobs.usage_override = {"candidatesTokenCount": -3}
    lying = client.models.generate_content(model="gemini-2.5-pro", contents="x").usage_metadata
    assert lying is not None and lying.candidates_token_count == -3
    upstream.knobs.include_usage = False
    assert client.models.generate_content(model="gemini-2.5-pro", contents="x").usage_metadata is None


def test_sdk_stream_fragments_thoughts_and_final_usage(fake: Fake) -> None:
    _, client, _ = fake
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True))
    chunks = list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi there", config=config))
    parts = [
        p
        for c in chunks
        for p in (c.candidates[0].content.parts if c.candidates and c.candidates[0].content else None) or []
    ]
    assert parts[0].thought is True and parts[0].text == "Thinking about: hi there"
    assert "".join(p.text or "" for p in parts[1:]) == "Hello! You said: hi there"
    assert parts[-1].text == "" and parts[-1].thought_signature  # the signature arrives on its own, last
    assert all(c.candidates and c.candidates[0].finish_reason is None for c in chunks[:-1])
    last = chunks[-1]
    assert last.candidates and last.candidates[0].finish_reason == types.FinishReason.STOP
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count == 5
    assert chunks[0].usage_metadata is not None and chunks[0].usage_metadata.candidates_token_count is None
    assert len({c.response_id for c in chunks}) == 1


def test_sse_and_json_array_framing(fake: Fake) -> None:
    upstream, _, url = fake
    body = {"contents": [{"role": "user", "parts": [{"text": "a b c d"}]}]}
    sse = _post(url, "gemini-2.0-flash:streamGenerateContent", body, alt="sse")
    assert sse.headers["content-type"].startswith("text/event-stream") and "event:" not in sse.text
    frames = sse.text.split("\r\n\r\n")
    assert frames[-1] == "" and all(f.startswith("data: {") for f in frames[:-1]) and len(frames) - 1 == 3
    fragments = [json.loads(f.removeprefix("data: ")) for f in frames[:-1]]
    assert "".join(f["candidates"][0]["content"]["parts"][0]["text"] for f in fragments) == "Hello! You said: a b c d"
    assert [("finishReason" in f["candidates"][0]) for f in fragments] == [False, False, True]
    upstream.knobs.chunks = 2
    array = _post(url, "gemini-2.0-flash:streamGenerateContent", body)
    assert array.headers["content-type"] == "application/json" and len(array.json()) == 2
    assert array.json()[-1]["usageMetadata"]["totalTokenCount"] == 7 + 7


def test_count_tokens_embeddings_and_models(fake: Fake) -> None:
    upstream, client, url = fake
    assert client.models.count_tokens(model="gemini-2.5-flash", contents="a b c").total_tokens == 6
    request = {"model": "models/gemini-2.5-flash", "contents": [{"parts": [{"text": "a b c"}]}]}
    nested = {"generateContentRequest": {**request, "systemInstruction": {"parts": [{"text": "Be terse."}]}}}
    assert _post(url, "gemini-2.5-flash:countTokens", nested).json()["totalTokens"] == 6 + 5
    config = types.EmbedContentConfig(output_dimensionality=8)
    batch = client.models.embed_content(model="gemini-embedding-001", contents=["a", "b", "a"], config=config)
    vectors = [e.values for e in batch.embeddings or []]
    assert len(vectors) == 3 and len(vectors[0] or []) == 8 and vectors[0] == vectors[2] != vectors[1]
    one = _post(
        url, "gemini-embedding-001:embedContent", {"content": {"parts": [{"text": "a"}]}, "outputDimensionality": 8}
    )
    assert one.json()["embedding"]["values"] == vectors[0] and "usageMetadata" not in one.json()
    assert (
        len(
            _post(url, "gemini-embedding-001:embedContent", {"content": {"parts": [{"text": "a"}]}}).json()[
                "embedding"
            ]["values"]
        )
        == 3072
    )
    assert [m.name for m in client.models.list()] == [f"models/{m}" for m in upstream.knobs.models]
    pro = client.models.get(model="gemini-2.5-pro")
    assert pro.thinking is True and pro.supported_actions and "generateContent" in pro.supported_actions
    with pytest.raises(errors.ClientError) as unknown:
        client.models.generate_content(model="gemini-nope", contents="x")
    assert unknown.value.code == 404 and unknown.value.status == "NOT_FOUND"
    with pytest.raises(errors.ClientError, match="not supported for embedContent"):
        client.models.embed_content(model="gemini-2.5-flash", contents="x")


def test_function_calling_round_trip_with_thought_signatures(fake: Fake) -> None:
    _, client, _ = fake
    question = types.Content(role="user", parts=[types.Part(text="Time in Oslo?")])
    first = client.models.generate_content(model="gemini-2.5-flash", contents=[question], config=_tools())
    assert first.function_calls and first.function_calls[0].name == "get_time"
    assert first.function_calls[0].args == {"city": "test"} and first.function_calls[0].id is None
    model_turn = first.candidates[0].content  # type: ignore[index]
    assert model_turn is not None and model_turn.parts
    signature = model_turn.parts[0].thought_signature
    assert signature is not None and signature.startswith(b"fake-thought:")
    reply = types.Part.from_function_response(name="get_time", response={"output": "09:30"})
    history = [question, model_turn, types.Content(role="user", parts=[reply])]
    second = client.models.generate_content(model="gemini-2.5-flash", contents=history, config=_tools())
    assert second.text == 'get_time returned: {"output":"09:30"}'
    again = client.models.generate_content(model="gemini-2.5-flash", contents=[question], config=_tools())
    assert again.candidates[0].content.parts[0].thought_signature == signature  # type: ignore[index,union-attr]
    edited = model_turn.model_copy(deep=True)
    edited.parts[0].function_call.args = {"city": "Bergen"}  # type: ignore[index,union-attr]
    with pytest.raises(errors.ClientError, match="Corrupted thought signature"):
        client.models.generate_content(
            model="gemini-2.5-flash", contents=[question, edited, history[2]], config=_tools()
        )


def test_gemini_3_requires_signatures_and_matching_responses(fake: Fake) -> None:
    upstream, _, url = fake
    upstream.knobs.models.append("gemini-3-pro-preview")
    call = {"functionCall": {"name": "get_time", "args": {"city": "Oslo"}}}
    answer = {"functionResponse": {"name": "get_time", "response": {"output": "09:30"}}}
    contents = [
        {"role": "user", "parts": [{"text": "Time?"}]},
        {"role": "model", "parts": [call]},
        {"role": "user", "parts": [answer]},
    ]
    missing = _post(url, "gemini-3-pro-preview:generateContent", {"contents": contents})
    assert missing.status_code == 400 and "missing a thought_signature" in missing.json()["error"]["message"]
    contents[1]["parts"] = [{**call, "thoughtSignature": "skip_thought_signature_validator"}]
    assert _post(url, "gemini-3-pro-preview:generateContent", {"contents": contents}).status_code == 200
    assert (
        _post(
            url,
            "gemini-2.5-flash:generateContent",
            {"contents": [*contents[:1], {"role": "model", "parts": [call]}, contents[2]]},
        ).status_code
        == 200
    )
    contents[2]["parts"] = [answer, answer]
    unmatched = _post(url, "gemini-2.5-flash:generateContent", {"contents": contents})
    assert unmatched.status_code == 400 and "number of function response parts" in unmatched.json()["error"]["message"]


def test_thinking_switches_and_call_ids(fake: Fake) -> None:
    upstream, client, _ = fake
    hidden = client.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert hidden.usage_metadata and hidden.usage_metadata.thoughts_token_count == 3
    assert not any(p.thought for p in hidden.candidates[0].content.parts)  # type: ignore[index,union-attr]
    off = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(thinking_budget=0))
    plain = client.models.generate_content(model="gemini-2.5-flash", contents="x", config=off)
    assert plain.usage_metadata and plain.usage_metadata.thoughts_token_count is None
    assert plain.candidates[0].content.parts[0].thought_signature is None  # type: ignore[index,union-attr]
    upstream.knobs.function_call_ids = True
    called = client.models.generate_content(model="gemini-2.0-flash", contents="x", config=_tools("ANY"))
    assert called.function_calls and (called.function_calls[0].id or "").startswith("call_")
    none = client.models.generate_content(model="gemini-2.0-flash", contents="x", config=_tools("NONE"))
    assert none.text == "Hello! You said: x"


def test_keys_in_header_or_query(fake: Fake) -> None:
    _, _, url = fake
    body = {"contents": [{"parts": [{"text": "x"}]}]}
    assert httpx.post(f"{url}/v1beta/models/gemini-2.0-flash:generateContent?key={KEY}", json=body).status_code == 200
    bad = httpx.post(
        f"{url}/v1beta/models/gemini-2.0-flash:generateContent", json=body, headers={"x-goog-api-key": "no"}
    )
    error = bad.json()["error"]
    assert (bad.status_code, error["code"], error["status"]) == (400, 400, "INVALID_ARGUMENT")
    assert error["details"][0]["reason"] == "API_KEY_INVALID"
    anonymous = httpx.post(f"{url}/v1beta/models/gemini-2.0-flash:generateContent", json=body)
    assert (anonymous.status_code, anonymous.json()["error"]["status"]) == (403, "PERMISSION_DENIED")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"messages": [{"role": "user", "content": "x"}]}, 'Unknown name "messages"'),
        ({"contents": [{"role": "user", "parts": [{"type": "text", "text": "x"}]}]}, 'Unknown name "type"'),
        ({"contents": [{"role": "user", "parts": []}]}, "must not be empty"),
        ({"contents": [{"role": "assistant", "parts": [{"text": "x"}]}]}, "valid role"),
        (
            {"contents": [{"parts": [{"text": "x"}]}], "tools": [{"type": "function", "function": {"name": "f"}}]},
            'Unknown name "type"',
        ),
        ({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"max_tokens": 5}}, 'Unknown name "maxTokens"'),
        ({"contents": []}, "contents is not specified"),
    ],
)
def test_what_the_real_api_refuses(fake: Fake, body: dict[str, Any], message: str) -> None:
    _, _, url = fake
    response = _post(url, "gemini-2.0-flash:generateContent", body)
    assert response.status_code == 400 and message in response.json()["error"]["message"]


def test_fault_knobs(fake: Fake) -> None:
    upstream, client, url = fake
    upstream.knobs.status, upstream.knobs.fail_times = 503, 1
    with pytest.raises(errors.ServerError) as failed:
        client.models.generate_content(model="gemini-2.0-flash", contents="x")
    assert (failed.value.code, failed.value.status, failed.value.message) == (503, "UNAVAILABLE", "fake upstream error")
    assert client.models.generate_content(model="gemini-2.0-flash", contents="x").text
    upstream.knobs.fail_stream_after = 1
    with pytest.raises(errors.ServerError):
        list(client.models.generate_content_stream(model="gemini-2.0-flash", contents="a b c"))
    upstream.knobs.fail_stream_after, upstream.knobs.cut_stream_after = None, 1
    body = {"contents": [{"parts": [{"text": "a b c"}]}]}
    with pytest.raises(httpx.RemoteProtocolError):
        _post(url, "gemini-2.0-flash:streamGenerateContent", body, alt="sse")
    upstream.knobs.cut_stream_after, upstream.knobs.reset_before_first_chunk = None, True
    with pytest.raises(httpx.RemoteProtocolError):
        _post(url, "gemini-2.0-flash:generateContent", body)
    upstream.knobs.reset_before_first_chunk, upstream.knobs.latency_s = False, 0.2
    started = time.monotonic()
    client.models.generate_content(model="gemini-2.0-flash", contents="x")
    assert time.monotonic() - started >= 0.2


def test_finish_reason_and_blocked_prompt_knobs(fake: Fake) -> None:
    upstream, client, _ = fake
    upstream.knobs.finish_reason = "SAFETY"
    unsafe = client.models.generate_content(model="gemini-2.0-flash", contents="x")
    assert unsafe.candidates and unsafe.candidates[0].finish_reason == types.FinishReason.SAFETY
    assert (
        unsafe.candidates[0].content is None
        and unsafe.usage_metadata
        and unsafe.usage_metadata.candidates_token_count == 0
    )
    upstream.knobs.finish_reason, upstream.knobs.prompt_block_reason = None, "PROHIBITED_CONTENT"
    blocked = client.models.generate_content(model="gemini-2.0-flash", contents="x")
    assert blocked.candidates is None and blocked.prompt_feedback is not None
    assert blocked.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
    short = client.models.generate_content(
        model="gemini-2.0-flash", contents="a b c", config=types.GenerateContentConfig(max_output_tokens=2)
    )
    assert short.candidates is None  # still blocked: the knob wins
    upstream.knobs.prompt_block_reason = None
    short = client.models.generate_content(
        model="gemini-2.0-flash", contents="a b c", config=types.GenerateContentConfig(max_output_tokens=2)
    )
    assert (
        short.text == "Hello! You"
        and short.candidates
        and short.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS
    )


def test_signature_is_standard_base64_on_the_wire(fake: Fake) -> None:
    _, _, url = fake
    body = {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"thinkingConfig": {"thinkingBudget": 512}}}
    part = _post(url, "gemini-2.0-flash:generateContent", body).json()["candidates"][0]["content"]["parts"][0]
    assert base64.b64decode(part["thoughtSignature"], validate=True).startswith(b"fake-thought:")
