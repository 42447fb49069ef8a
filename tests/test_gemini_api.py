"""The Gemini API served by omnirelay, through the official ``google-genai`` SDK and a real gateway.

Gemini clients reach an OpenAI-compatible upstream (the request converted to chat completions and
back) and a ``gemini`` upstream (relayed untouched: thought signatures byte for byte).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import openai
import orjson
import pytest
from google import genai
from google.genai import errors, types

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token, sqlite_only
from omnirelay.api.access_log import redacted_query
from omnirelay.relay.tokens import TokenCounter
from omnirelay.testing import FakeAnthropic, FakeAnthropicKnobs, FakeGemini, FakeGeminiKnobs, serve_in_thread

EMBED = "text-embedding-test"
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Weather for a city",
    parameters=types.Schema(
        type=types.Type.OBJECT, properties={"city": types.Schema(type=types.Type.STRING)}, required=["city"]
    ),
)


def gemini(gateway: Gateway, key: str = USER_KEY) -> genai.Client:
    """The official client, pointed at the gateway (kept alive with it: a collected client closes its pool)."""
    client = genai.Client(api_key=key, http_options=types.HttpOptions(base_url=gateway.url))
    gateway.extra.setdefault("clients", []).append(client)
    return client


@pytest.fixture
def via_openai(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[channel("oa", upstream, models=["gpt-test", EMBED])],
        prices=[per_token(), per_token(EMBED, 100_000, 0)],
    )
    return gateway, upstream


def test_generate_on_an_openai_upstream_is_converted_and_billed(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    config = types.GenerateContentConfig(system_instruction="Be brief.", temperature=0.2, max_output_tokens=50)
    response = gemini(gateway).models.generate_content(model="gpt-test", contents="one two", config=config)
    assert response.text == "Hello! You said: one two"
    candidate = response.candidates[0]  # type: ignore[index]
    assert candidate.finish_reason == types.FinishReason.STOP and candidate.content.role == "model"  # type: ignore[union-attr]
    usage = response.usage_metadata
    assert usage is not None and (usage.prompt_token_count, usage.candidates_token_count) == (10, 5)
    assert response.model_version == "gpt-test" and response.response_id
    sent = upstream.chat_requests()[-1].json
    assert sent["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "one two"},
    ]
    assert (sent["temperature"], sent["max_tokens"], sent["model"]) == (0.2, 50, "gpt-test")
    [log] = gateway.logs(limit=1)
    assert (log["endpoint"], log["prompt_tokens"], log["completion_tokens"]) == ("gemini.generateContent", 10, 5)
    assert log["cost"] == 10 + 2 * 5  # 1 and 2 micro-units a token
    assert_ledger_balanced(gateway)


def test_stream_on_an_openai_upstream_arrives_as_gemini_fragments(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    chunks = list(gemini(gateway).models.generate_content_stream(model="gpt-test", contents="alpha beta gamma"))
    assert "".join(c.text or "" for c in chunks) == "Hello! You said: alpha beta gamma"
    assert len(chunks) > 2
    last = chunks[-1]
    assert last.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    assert last.usage_metadata is not None and last.usage_metadata.candidates_token_count == 6
    assert all(c.usage_metadata is None for c in chunks[:-1])
    assert upstream.chat_requests()[-1].json["stream"] is True
    [log] = gateway.logs(limit=1)
    assert (log["endpoint"], log["stream"], log["status"]) == ("gemini.streamGenerateContent", True, 200)
    assert_ledger_balanced(gateway)


def test_function_calling_round_trip_on_an_openai_upstream(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    client = gemini(gateway)
    tools = [types.Tool(function_declarations=[WEATHER])]
    ask = types.Content(role="user", parts=[types.Part(text="Weather in Oslo?")])
    config = types.GenerateContentConfig(
        tools=tools, automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True)
    )
    first = client.models.generate_content(model="gpt-test", contents=[ask], config=config)
    [call] = first.function_calls or []
    assert (call.name, call.args) == ("get_weather", {"city": "test"}) and call.id and call.id.startswith("call_")
    assert first.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
    answer = types.Part.from_function_response(name="get_weather", response={"output": "sunny"})
    history = [ask, first.candidates[0].content, types.Content(role="user", parts=[answer])]  # type: ignore[index]
    none = types.ToolConfig(
        function_calling_config=types.FunctionCallingConfig(mode=types.FunctionCallingConfigMode.NONE)
    )
    final = client.models.generate_content(
        model="gpt-test", contents=history, config=types.GenerateContentConfig(tools=tools, tool_config=none)
    )
    assert final.text == "Hello! You said: Weather in Oslo?"
    sent = upstream.chat_requests()[-1].json
    assert sent["tool_choice"] == "none" and sent["tools"][0]["function"]["parameters"]["type"] == "object"
    assistant, tool = sent["messages"][1], sent["messages"][2]
    assert assistant["tool_calls"][0]["id"] == call.id
    assert assistant["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city":"test"}'}
    assert tool == {"role": "tool", "tool_call_id": call.id, "content": "sunny"}
    assert_ledger_balanced(gateway)


def test_count_tokens_on_an_openai_upstream_is_a_local_estimate(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    counted = gemini(gateway).models.count_tokens(model="gpt-test", contents="How many tokens is this?")
    tokens = TokenCounter()
    assert counted.total_tokens == tokens.count_text("How many tokens is this?") + 3
    assert upstream.chat_requests() == []  # counted without calling the upstream
    [log] = gateway.logs(limit=1)
    assert (log["endpoint"], log["cost"]) == ("gemini.countTokens", 0)
    assert_ledger_balanced(gateway)


def test_embeddings_single_and_batch_on_an_openai_upstream(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, _ = via_openai
    client = gemini(gateway)
    expected = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY).embeddings.create(
        model=EMBED, input=["hello world", "good night"], encoding_format="float"
    )
    single = client.models.embed_content(model=EMBED, contents="hello world")
    assert [e.values for e in single.embeddings or []] == [expected.data[0].embedding]
    batch = client.models.embed_content(model=EMBED, contents=["hello world", "good night"])
    assert [e.values for e in batch.embeddings or []] == [d.embedding for d in expected.data]
    key = {"x-goog-api-key": USER_KEY}
    one = {"content": {"parts": [{"text": "good night"}]}, "outputDimensionality": 8}
    raw = httpx.post(f"{gateway.url}/v1beta/models/{EMBED}:embedContent", json=one, headers=key)
    assert raw.status_code == 200 and len(raw.json()["embedding"]["values"]) == 8
    logs = gateway.logs(limit=4)
    assert [log["endpoint"] for log in logs[:3]] == ["gemini.embedContent", *["gemini.batchEmbedContents"] * 2]
    assert logs[1]["prompt_tokens"] == 4 and logs[1]["cost"] == 1  # 4 tokens at 0.1 micro-units, rounded up
    assert_ledger_balanced(gateway)


def test_models_list_and_get_in_gemini_shape(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, _ = via_openai
    client = gemini(gateway)
    listed = {m.name: m.supported_actions for m in client.models.list()}
    assert listed["models/gpt-test"] == ["generateContent", "streamGenerateContent", "countTokens"]
    assert listed[f"models/{EMBED}"] == ["embedContent", "batchEmbedContents"]
    assert client.models.get(model="gpt-test").name == "models/gpt-test"
    beta = httpx.get(f"{gateway.url}/v1beta/models", params={"key": USER_KEY, "pageSize": 1}).json()
    assert [m["name"] for m in beta["models"]] == [sorted(listed)[0]] and beta["nextPageToken"] == "1"
    # OpenAI clients still get OpenAI's list on the same path
    ids = [m.id for m in openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY).models.list()]
    assert {"gpt-test", EMBED} <= set(ids)


@sqlite_only
def test_keys_and_unknown_models_answer_in_gemini_error_shape(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, _ = via_openai
    with pytest.raises(errors.ClientError) as bad:
        gemini(gateway, key="sk-wrong").models.generate_content(model="gpt-test", contents="hi")
    assert (bad.value.code, bad.value.status) == (400, "INVALID_ARGUMENT")
    assert bad.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    missing = httpx.post(f"{gateway.url}/v1beta/models/gpt-test:generateContent", json={"contents": []})
    assert missing.status_code == 403 and missing.json()["error"]["status"] == "PERMISSION_DENIED"
    with pytest.raises(errors.ClientError) as unknown:
        gemini(gateway).models.generate_content(model="no-such-model", contents="hi")
    assert (unknown.value.code, unknown.value.status) == (404, "NOT_FOUND")
    with pytest.raises(errors.ClientError) as gone:
        gemini(gateway).models.get(model="no-such-model")
    assert gone.value.code == 404
    empty = httpx.post(
        f"{gateway.url}/v1beta/models/gpt-test:generateContent", json={"contents": []}, params={"key": USER_KEY}
    )
    assert empty.status_code == 400 and empty.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert redacted_query(f"alt=sse&key={USER_KEY}".encode()) == "alt=sse&key=[redacted]"


@sqlite_only
def test_a_stream_without_alt_sse_is_one_json_array(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, _ = via_openai
    body = {"contents": [{"role": "user", "parts": [{"text": "one two"}]}]}
    answer = httpx.post(
        f"{gateway.url}/v1beta/models/gpt-test:streamGenerateContent", json=body, params={"key": USER_KEY}
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    fragments = answer.json()
    assert "".join(p["text"] for f in fragments[:-1] for p in f["candidates"][0]["content"]["parts"]) == (
        "Hello! You said: one two"
    )
    assert fragments[-1]["candidates"][0]["finishReason"] == "STOP" and fragments[-1]["usageMetadata"]


def test_upstream_failure_is_refunded_and_answered_in_gemini_shape(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(status=500)
    gateway = make_gateway(**funded(), channels=[channel("oa", upstream)], prices=[per_token()])
    with pytest.raises(errors.ServerError) as failed:
        gemini(gateway).models.generate_content(model="gpt-test", contents="hi")
    assert failed.value.code == 502 and failed.value.status == "UNAVAILABLE"
    [log] = gateway.logs(limit=1)
    assert (log["status"], log["cost"]) == (502, 0)
    assert_ledger_balanced(gateway)


# --- Gemini -> Gemini: relayed untouched ---------------------------------------------------------


def gemini_channel(url: str, *models: str) -> dict[str, Any]:
    return {"name": "gm", "type": "gemini", "base_url": url, "secrets": ["g-upstream"], "models": list(models)}


def serve_gemini(stack: ExitStack, **knobs: Any) -> tuple[FakeGemini, str]:
    fake = FakeGemini(FakeGeminiKnobs(api_key="g-upstream", **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


@pytest.fixture
def via_gemini(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> tuple[Gateway, FakeGemini, str]:
    fake, url = serve_gemini(stack, models=["gemini-3-pro", "gemini-embedding-001"])
    channels = [gemini_channel(url, "gemini-3-pro", "gemini-embedding-001")]
    prices = [per_token("gemini-3-pro"), per_token("gemini-embedding-001", 100_000, 0)]
    return make_gateway(**funded(), channels=channels, prices=prices), fake, url


def _generate_requests(fake: FakeGemini) -> list[Any]:
    return [r for r in fake.requests if "Content" in r.path and "mbed" not in r.path]


WIRE_ASK = {
    "contents": [{"role": "user", "parts": [{"text": "Weather in Oslo?"}]}],
    "tools": [{"functionDeclarations": [WEATHER.model_dump(mode="json", exclude_none=True)]}],
    "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
}


def test_thought_signatures_round_trip_byte_for_byte_on_a_gemini_upstream(
    via_gemini: tuple[Gateway, FakeGemini, str],
) -> None:
    gateway, fake, fake_url = via_gemini
    path = "/v1beta/models/gemini-3-pro:generateContent"
    direct = httpx.post(fake_url + path, json=WIRE_ASK, headers={"x-goog-api-key": "g-upstream"}).json()
    relayed = httpx.post(gateway.url + path, json=WIRE_ASK, headers={"x-goog-api-key": USER_KEY}).json()
    assert relayed["candidates"] == direct["candidates"]  # what the fake sent, untouched
    model_turn = relayed["candidates"][0]["content"]
    assert model_turn["parts"][0]["thought"] is True and model_turn["parts"][1]["thoughtSignature"]
    result = {"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}}
    second = {**WIRE_ASK, "contents": [*WIRE_ASK["contents"], model_turn, {"role": "user", "parts": [result]}]}
    answer = httpx.post(gateway.url + path, content=orjson.dumps(second), headers={"x-goog-api-key": USER_KEY})
    assert answer.status_code == 200, answer.text
    received = _generate_requests(fake)[-1]
    assert received.json["contents"][1] == model_turn  # thought parts and signature, byte for byte
    assert received.headers.get("x-goog-api-key") == "g-upstream"
    assert_ledger_balanced(gateway)


def test_the_sdk_completes_a_function_call_on_a_model_that_requires_signatures(
    via_gemini: tuple[Gateway, FakeGemini, str],
) -> None:
    gateway, fake, _ = via_gemini
    client = gemini(gateway)
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[WEATHER])],
        thinking_config=types.ThinkingConfig(include_thoughts=True),
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    )
    ask = types.Content(role="user", parts=[types.Part(text="Weather in Oslo?")])
    first = client.models.generate_content(model="gemini-3-pro", contents=[ask], config=config)
    [call] = first.function_calls or []
    answer = types.Part.from_function_response(name=call.name or "", response={"output": "sunny"})
    history = [ask, first.candidates[0].content, types.Content(role="user", parts=[answer])]  # type: ignore[index]
    final = client.models.generate_content(model="gemini-3-pro", contents=history, config=config)
    assert final.text is not None and "get_weather returned" in final.text  # the fake checked the signature
    assert len(_generate_requests(fake)) == 2
    assert_ledger_balanced(gateway)


def test_native_stream_is_relayed_and_billed_on_the_last_usage(via_gemini: tuple[Gateway, FakeGemini, str]) -> None:
    gateway, fake, _ = via_gemini
    chunks = list(gemini(gateway).models.generate_content_stream(model="gemini-3-pro", contents="one two three"))
    text = "".join(c.text or "" for c in chunks)
    assert text and chunks[-1].usage_metadata is not None
    usage = chunks[-1].usage_metadata
    assert _generate_requests(fake)[-1].path.endswith(":streamGenerateContent?alt=sse")
    [log] = gateway.logs(limit=1)
    thoughts = usage.thoughts_token_count or 0
    assert (log["prompt_tokens"], log["completion_tokens"]) == (
        usage.prompt_token_count,
        (usage.candidates_token_count or 0) + thoughts,
    )
    assert_ledger_balanced(gateway)


def test_count_tokens_and_embeddings_pass_through_on_a_gemini_upstream(
    via_gemini: tuple[Gateway, FakeGemini, str],
) -> None:
    gateway, fake, _ = via_gemini
    client = gemini(gateway)
    counted = client.models.count_tokens(model="gemini-3-pro", contents="one two three")
    assert counted.total_tokens == 6  # the fake's count: words + 3 a turn
    batch = client.models.embed_content(model="gemini-embedding-001", contents=["a b", "c"])
    assert len(batch.embeddings or []) == 2 and len(batch.embeddings[0].values or []) == 3072  # type: ignore[index]
    paths = [r.path.split("?")[0] for r in fake.requests]
    assert paths[-2:] == [
        "/v1beta/models/gemini-3-pro:countTokens",
        "/v1beta/models/gemini-embedding-001:batchEmbedContents",
    ]
    assert_ledger_balanced(gateway)


def test_a_native_stream_without_alt_sse_is_reframed_as_an_array(via_gemini: tuple[Gateway, FakeGemini, str]) -> None:
    gateway, fake, _ = via_gemini
    body = {"contents": [{"role": "user", "parts": [{"text": "one two"}]}]}
    answer = httpx.post(
        f"{gateway.url}/v1beta/models/gemini-3-pro:streamGenerateContent", json=body, params={"key": USER_KEY}
    )
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    fragments = answer.json()
    assert len(fragments) > 1 and fragments[-1]["usageMetadata"]["promptTokenCount"] == 5
    assert _generate_requests(fake)[-1].path.endswith(":streamGenerateContent?alt=sse")  # never the client's key


def test_a_native_stream_that_fails_midway_is_refunded(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake, url = serve_gemini(stack, fail_stream_after=1, models=["gemini-2.5-flash"])
    channels = [gemini_channel(url, "gemini-2.5-flash")]
    gateway = make_gateway(**funded(), channels=channels, prices=[per_token("gemini-2.5-flash")])
    client = gemini(gateway)
    with pytest.raises(errors.APIError) as failed:
        list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="one two three"))
    assert failed.value.code == 500
    [log] = gateway.logs(limit=1)
    assert (log["cost"], log["endpoint"]) == (0, "gemini.streamGenerateContent") and log["status"] >= 500
    assert_ledger_balanced(gateway)


def test_gemini_clients_reach_an_anthropic_upstream(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant-upstream"))
    url = stack.enter_context(serve_in_thread(fake.app))
    claude = {
        "name": "an",
        "type": "anthropic",
        "base_url": url,
        "secrets": ["sk-ant-upstream"],
        "models": ["claude-test"],
    }
    gateway = make_gateway(**funded(), channels=[claude], prices=[per_token("claude-test")])
    client = gemini(gateway)
    config = types.GenerateContentConfig(system_instruction="Be brief.")
    answer = client.models.generate_content(model="claude-test", contents="one two", config=config)
    assert answer.text and answer.usage_metadata is not None and answer.usage_metadata.prompt_token_count
    streamed = list(client.models.generate_content_stream(model="claude-test", contents="one two"))
    assert "".join(c.text or "" for c in streamed) == answer.text
    assert streamed[-1].usage_metadata is not None
    assert fake.requests[0].json["system"] and fake.requests[0].path.endswith("/v1/messages")
    assert_ledger_balanced(gateway)


def test_a_client_that_leaves_a_native_stream_pays_what_the_upstream_reported(
    stack: ExitStack, make_gateway: Callable[..., Gateway]
) -> None:
    reply = " ".join(f"word{i}" for i in range(40))
    _, url = serve_gemini(stack, reply=reply, chunks=8, chunk_delay_s=0.1, models=["gemini-2.5-flash"])
    channels = [gemini_channel(url, "gemini-2.5-flash")]
    gateway = make_gateway(**funded(), channels=channels, prices=[per_token("gemini-2.5-flash")])
    stream = gemini(gateway).models.generate_content_stream(model="gemini-2.5-flash", contents="go on")
    first = next(iter(stream))
    reported = first.usage_metadata
    assert reported is not None and reported.candidates_token_count is None  # a partial count: no answer yet
    stream.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    logs = gateway.logs()
    while not logs and time.monotonic() < deadline:
        time.sleep(0.05)
        logs = gateway.logs()
    [log] = logs
    assert log["status"] == 499
    assert (log["prompt_tokens"], log["completion_tokens"]) == (
        reported.prompt_token_count,
        reported.thoughts_token_count,
    )
    assert_ledger_balanced(gateway)


def test_a_mapped_model_name_is_rewritten_where_a_native_body_names_it(
    stack: ExitStack, make_gateway: Callable[..., Gateway]
) -> None:
    fake, url = serve_gemini(stack)
    channels = [{**gemini_channel(url, "house-embed"), "model_map": {"house-embed": "gemini-embedding-001"}}]
    gateway = make_gateway(**funded(), channels=channels, prices=[per_token("house-embed", 100_000, 0)])
    batch = gemini(gateway).models.embed_content(model="house-embed", contents=["a b", "c"])
    assert len(batch.embeddings or []) == 2
    sent = fake.requests[-1]
    assert sent.path == "/v1beta/models/gemini-embedding-001:batchEmbedContents"
    assert {r["model"] for r in sent.json["requests"]} == {"models/gemini-embedding-001"}
    assert_ledger_balanced(gateway)
