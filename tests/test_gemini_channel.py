"""OpenAI clients in front of a ``gemini`` channel: the real gateway, FakeGemini as a real server,
the official ``openai`` SDK. Conversions are covered line by line in ``test_gemini_transforms.py``."""

from __future__ import annotations

import base64
import json
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import ExitStack, asynccontextmanager
from typing import Any

import aiohttp
import openai
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, per_token
from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.base import ChatProvider, EmbeddingsProvider, ForwardCall, Forwarder, ModelLister
from omnirelay.providers.gemini import GeminiProvider
from omnirelay.testing import FakeGemini, FakeGeminiKnobs, serve_in_thread

KEY = "AIza-gemini-upstream-test-key"
FLASH = "gemini-2.5-flash"
EMBEDDING = "gemini-embedding-001"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
WEATHER: Any = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def serve_gemini(stack: ExitStack, **knobs: Any) -> tuple[FakeGemini, str]:
    fake = FakeGemini(FakeGeminiKnobs(api_key=KEY, **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def gemini_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "gemini", "base_url": url, "secrets": [KEY], "models": [FLASH, EMBEDDING], **extra}


def gpt(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)


def priced() -> list[dict[str, Any]]:
    flash = {**per_token(FLASH), "cache_read_per_million": 250_000, "reasoning_per_million": 3_000_000}
    return [flash, per_token(EMBEDDING, 1_000_000, 0)]


@pytest.fixture
def one_channel(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> tuple[Gateway, FakeGemini]:
    fake, url = serve_gemini(stack)
    gateway = make_gateway(**funded(), channels=[gemini_channel("gem", url + "/v1beta/")], prices=priced())
    return gateway, fake


def test_chat_plain_and_streamed_through_a_gemini_channel(one_channel: tuple[Gateway, FakeGemini]) -> None:
    gateway, fake = one_channel
    messages: list[Any] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "one two"}]
    answer = gpt(gateway).chat.completions.create(model=FLASH, messages=messages, max_tokens=50, temperature=0.5)
    assert answer.choices[0].message.content == "Hello! You said: one two"
    assert answer.choices[0].finish_reason == "stop" and answer.model == FLASH
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (10, 9)
    assert answer.usage.completion_tokens_details is not None
    assert answer.usage.completion_tokens_details.reasoning_tokens == 4  # "Thinking about: one two"
    sent = fake.requests[-1]
    assert sent.path == f"/v1beta/models/{FLASH}:generateContent" and sent.headers["x-goog-api-key"] == KEY
    assert sent.json == {
        "contents": [{"role": "user", "parts": [{"text": "one two"}]}],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {"temperature": 0.5, "maxOutputTokens": 50},
    }

    stream = gpt(gateway).chat.completions.create(
        model=FLASH, messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello! You said: one two"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 9
    assert fake.requests[-1].path == f"/v1beta/models/{FLASH}:streamGenerateContent?alt=sse"

    # the text's thought signature comes back in extra_content and is replayed on the same part
    signature = answer.choices[0].message.model_dump()["extra_content"]["google"]["thought_signature"]
    carried = [c.choices[0].delta.model_dump().get("extra_content") for c in chunks if c.choices]
    assert {"google": {"thought_signature": signature}} in carried
    more = [*messages, answer.choices[0].message.model_dump(exclude_none=True), {"role": "user", "content": "more"}]
    assert gpt(gateway).chat.completions.create(model=FLASH, messages=more).choices[0].message.content
    replayed = {"text": "Hello! You said: one two", "thoughtSignature": signature}
    assert fake.requests[-1].json["contents"][1] == {"role": "model", "parts": [replayed]}

    logs = gateway.logs(model=FLASH)
    assert [(log["stream"], log["prompt_tokens"], log["completion_tokens"]) for log in logs][1:] == [
        (True, 10, 9),
        (False, 10, 9),
    ]
    assert_ledger_balanced(gateway)


def test_tool_calls_round_trip_with_thought_signatures(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    pro = "gemini-3-pro-preview"  # the fake, like Gemini 3, refuses a replayed call without its signature
    fake, url = serve_gemini(stack, models=[pro])
    gateway = make_gateway(**funded(), channels=[gemini_channel("gem", url, models=[pro])], prices=[per_token(pro)])
    ask: list[Any] = [{"role": "user", "content": "Weather in Oslo?"}]
    called = gpt(gateway).chat.completions.create(model=pro, messages=ask, tools=[WEATHER], tool_choice="required")
    choice = called.choices[0]
    call = (choice.message.tool_calls or [])[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    assert call.type == "function" and call.function.name == "get_weather" and call.id.startswith("call_")
    assert json.loads(call.function.arguments) == {"city": "test"}
    signature = call.model_dump()["extra_content"]["google"]["thought_signature"]
    assert fake.requests[-1].json["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}

    result = {"role": "tool", "tool_call_id": call.id, "content": '{"temp": 18}'}
    history = [*ask, choice.message.model_dump(exclude_none=True), result]
    final = gpt(gateway).chat.completions.create(model=pro, messages=history, tools=[WEATHER])
    assert final.choices[0].message.content == 'get_weather returned: {"output":{"temp":18}}'
    replayed = fake.requests[-1].json["contents"]
    assert replayed[1] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "test"}}, "thoughtSignature": signature}],
    }
    assert replayed[2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": {"temp": 18}}}}],
    }

    bare = {
        "role": "assistant",
        "tool_calls": [{"id": call.id, "type": "function", "function": call.function.model_dump()}],
    }
    dropped = gpt(gateway).chat.completions.create(model=pro, messages=[*ask, bare, result], tools=[WEATHER])
    assert dropped.choices[0].message.content, "a client that dropped the signature is still answered"
    assert fake.requests[-1].json["contents"][1]["parts"][0]["thoughtSignature"] == "skip_thought_signature_validator"

    streamed = list(
        gpt(gateway).chat.completions.create(
            model=pro, messages=ask, tools=[WEATHER], tool_choice="required", stream=True
        )
    )
    calls = [d for c in streamed if c.choices for d in c.choices[0].delta.tool_calls or []]
    assert len(calls) == 1 and calls[0].id is not None and calls[0].id.startswith("call_")
    assert calls[0].function is not None and json.loads(calls[0].function.arguments or "") == {"city": "test"}
    assert calls[0].model_dump()["extra_content"]["google"]["thought_signature"] == signature
    assert [c.choices[0].finish_reason for c in streamed if c.choices][-1] == "tool_calls"
    assert_ledger_balanced(gateway)


def test_signatures_another_key_cannot_read_are_dropped(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake, url = serve_gemini(stack, models=["gemini-3-pro-preview"])
    pro = "gemini-3-pro-preview"
    gateway = make_gateway(**funded(), channels=[gemini_channel("gem", url, models=[pro])], prices=[per_token(pro)])
    foreign = {"google": {"thought_signature": base64.b64encode(b"signed by another project").decode()}}
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}
    history: list[Any] = [
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [{**call, "extra_content": foreign}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]
    answer = gpt(gateway).chat.completions.create(model=pro, messages=history, tools=[WEATHER])
    assert answer.choices[0].message.content == 'get_weather returned: {"output":"18C"}'
    refused, resent = fake.requests[-2:]
    assert refused.json["contents"][1]["parts"][0]["thoughtSignature"] == foreign["google"]["thought_signature"]
    assert resent.json["contents"][1]["parts"][0]["thoughtSignature"] == "skip_thought_signature_validator"
    assert len(gateway.logs(model=pro)) == 1 and gateway.logs(model=pro)[0]["status"] == 200


def test_thoughts_and_cached_tokens_are_billed_by_kind(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake, url = serve_gemini(stack, cached_tokens=4)
    gateway = make_gateway(**funded(), channels=[gemini_channel("gem", url)], prices=priced())
    messages: list[Any] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "one two"}]
    answer = gpt(gateway).chat.completions.create(model=FLASH, messages=messages, reasoning_effort="low")
    message = answer.choices[0].message.model_dump()
    assert (
        message["reasoning_content"] == "Thinking about: one two" and message["content"] == "Hello! You said: one two"
    )
    thinking = fake.requests[-1].json["generationConfig"]["thinkingConfig"]
    assert thinking == {"thinkingBudget": 1024, "includeThoughts": True}
    assert answer.usage is not None and answer.usage.prompt_tokens_details is not None
    assert answer.usage.prompt_tokens_details.cached_tokens == 4

    streamed = list(
        gpt(gateway).chat.completions.create(model=FLASH, messages=messages, stream=True, reasoning_effort="low")
    )
    thoughts = "".join(c.choices[0].delta.model_dump().get("reasoning_content") or "" for c in streamed if c.choices)
    assert thoughts == "Thinking about: one two"
    assert all(c.usage is None for c in streamed), "no usage chunk unless the client asked for it"

    # 6 uncached input at 1, 4 cached at 0.25, 5 answer tokens at 2, 4 thought tokens at 3 (micro-units each)
    for log in gateway.logs(model=FLASH):
        lines = {line["kind"]: line["tokens"] for line in log["usage"]["lines"]}
        assert lines == {"uncached_input": 6, "cache_read": 4, "text_output": 5, "reasoning": 4}
        assert log["cost"] == 6 + 1 + 10 + 12
    assert_ledger_balanced(gateway)


def test_embeddings_through_a_gemini_channel(one_channel: tuple[Gateway, FakeGemini]) -> None:
    gateway, fake = one_channel
    one = gpt(gateway).embeddings.create(model=EMBEDDING, input="hello world", dimensions=8)
    assert len(one.data) == 1 and len(one.data[0].embedding) == 8
    assert one.usage.prompt_tokens == 3  # 11 characters, one token per four
    assert fake.requests[-1].path == f"/v1beta/models/{EMBEDDING}:embedContent"

    many = gpt(gateway).embeddings.create(model=EMBEDDING, input=["a", "hello world"], encoding_format="float")
    assert [d.index for d in many.data] == [0, 1] and len(many.data[1].embedding) == 3072
    sent = fake.requests[-1]
    assert sent.path == f"/v1beta/models/{EMBEDDING}:batchEmbedContents"
    assert sent.json["requests"][1] == {"model": f"models/{EMBEDDING}", "content": {"parts": [{"text": "hello world"}]}}

    raw = gpt(gateway).embeddings.with_raw_response.create(model=EMBEDDING, input="a", encoding_format="base64")
    encoded = raw.http_response.json()["data"][0]["embedding"]
    assert len(struct.unpack("<3072f", base64.b64decode(encoded))) == 3072
    logs = gateway.logs(model=EMBEDDING)
    assert [log["prompt_tokens"] for log in logs] == [1, 4, 3] and [log["cost"] for log in logs] == [1, 4, 3]
    assert_ledger_balanced(gateway)


def test_a_failing_gemini_channel_fails_over(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    busy, busy_url = serve_gemini(stack, status=503, error_message="The model is overloaded.")
    healthy, healthy_url = serve_gemini(stack)
    gateway = make_gateway(
        **funded(),
        channels=[gemini_channel("busy", busy_url, priority=10), gemini_channel("healthy", healthy_url)],
        prices=priced(),
    )
    ask: list[Any] = [{"role": "user", "content": "one two"}]
    assert gpt(gateway).chat.completions.create(model=FLASH, messages=ask).choices[0].message.content
    streamed = gpt(gateway).chat.completions.create(model=FLASH, messages=ask, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == "Hello! You said: one two"
    assert len(busy.requests) == 2 and len(healthy.requests) == 2

    healthy.knobs.status, healthy.knobs.error_message = 400, "Invalid JSON payload received."
    with pytest.raises(openai.BadRequestError) as caught:
        gpt(gateway).chat.completions.create(model=FLASH, messages=ask)
    assert "Invalid JSON payload" in str(caught.value.message)
    assert len(busy.requests) == 3 and len(healthy.requests) == 3, "a refused request is not retried further"
    assert_ledger_balanced(gateway)


def test_a_refused_key_disables_the_channel(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    _, wrong_url = serve_gemini(stack)
    healthy, healthy_url = serve_gemini(stack)
    wrong = {**gemini_channel("wrong", wrong_url, priority=10), "secrets": ["not-the-key"]}
    gateway = make_gateway(**funded(), channels=[wrong, gemini_channel("healthy", healthy_url)], prices=priced())
    ask: list[Any] = [{"role": "user", "content": "one two"}]
    assert gpt(gateway).chat.completions.create(model=FLASH, messages=ask).choices[0].message.content
    assert len(healthy.requests) == 1
    channels = {c["name"]: c for c in gateway.admin_json("GET", "/api/admin/channels")["data"]}
    record = f"/api/admin/channels/{channels['wrong']['id']}"
    deadline = time.monotonic() + 5
    while not gateway.admin_json("GET", record)["auto_disabled"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "API key not valid" in gateway.admin_json("GET", record)["disabled_reason"]
    tested = gateway.admin_json("POST", f"{record}/test")
    assert tested["ok"] is False and "API key not valid" in tested["error"]


def test_a_stream_broken_mid_way_is_refunded(one_channel: tuple[Gateway, FakeGemini]) -> None:
    gateway, fake = one_channel
    fake.knobs.fail_stream_after = 2
    with pytest.raises(openai.APIError) as caught:
        for _ in gpt(gateway).chat.completions.create(
            model=FLASH, messages=[{"role": "user", "content": "a b"}], stream=True
        ):
            pass
    assert "INTERNAL" in caught.value.message
    fake.knobs.fail_stream_after, fake.knobs.cut_stream_after = None, 2
    with pytest.raises(openai.APIError):
        for _ in gpt(gateway).chat.completions.create(
            model=FLASH, messages=[{"role": "user", "content": "a b"}], stream=True
        ):
            pass
    assert [(log["status"], log["cost"]) for log in gateway.logs(model=FLASH)] == [(502, 0), (502, 0)]
    assert_ledger_balanced(gateway)


def test_channel_test_action_on_a_gemini_channel(one_channel: tuple[Gateway, FakeGemini]) -> None:
    gateway, fake = one_channel
    made = gateway.admin_json("GET", "/api/admin/channels")["data"][0]
    assert made["type"] == "gemini" and made["base_url"] == fake_root(made["base_url"])
    test = f"/api/admin/channels/{made['id']}/test"
    assert gateway.admin_json("POST", test) | {"latency_ms": 0} == {
        "ok": True,
        "model": FLASH,
        "endpoint": "chat",
        "latency_ms": 0,
    }
    assert fake.requests[-1].json["generationConfig"] == {"maxOutputTokens": 1}
    assert gateway.admin_json("POST", test, params={"endpoint": "embeddings"})["model"] == EMBEDDING
    listed = gateway.admin_json("POST", test, params={"endpoint": "models"})
    assert listed["ok"] is True and fake.requests[-1].path.startswith("/v1beta/models?pageSize=")
    assert gateway.logs() == [], "a test is never billed or logged"


def fake_root(base_url: str) -> str:
    """The stored base URL is the root: the ``/v1beta/`` the operator pasted is gone."""
    assert not base_url.endswith(("/v1beta", "/v1beta/", "/"))
    return base_url


@asynccontextmanager
async def gemini_provider() -> AsyncIterator[GeminiProvider]:
    links = OutboundClient([])
    try:
        async with aiohttp.ClientSession() as session:
            yield GeminiProvider(session, links, connect_timeout_s=5, read_timeout_s=5, max_request_s=30)
    finally:
        await links.close()


async def forwarded(url: str, path: str, body: Any, **options: Any) -> tuple[int, Mapping[str, str], bytes]:
    """One call through the provider's native pass-through (what the Gemini ingress builds on)."""
    async with gemini_provider() as provider:
        call = ForwardCall(
            base_url=url,
            secret=options.pop("secret", KEY),
            path=path,
            body=None if body is None else json.dumps(body).encode(),
            headers=options.pop("headers", {}),
            **options,
        )
        answer = await provider.forward(call)
        try:
            if call.stream:
                return answer.status, answer.headers, b"".join([data async for data in answer])
            return answer.status, answer.headers, await answer.read()
        finally:
            await answer.aclose()


async def test_native_calls_are_forwarded_untouched(stack: ExitStack) -> None:
    fake, url = serve_gemini(stack)
    ask = {
        "contents": [{"role": "user", "parts": [{"text": "one two"}]}],
        "generationConfig": {"thinkingConfig": {"includeThoughts": True}},
    }
    status, headers, body = await forwarded(
        url,
        f"models/{FLASH}:generateContent",
        ask,
        headers={"x-goog-api-key": "client-key", "x-goog-api-client": "genai-py"},
    )
    answer = json.loads(body)
    assert status == 200 and headers["content-type"] == "application/json"
    thought, text = answer["candidates"][0]["content"]["parts"]
    assert thought["thought"] is True and text["text"] == "Hello! You said: one two" and text["thoughtSignature"]
    sent = fake.requests[-1]
    assert sent.headers["x-goog-api-key"] == KEY and sent.headers["x-goog-api-client"] == "genai-py"
    assert sent.json == ask

    replay = {
        "contents": [
            *ask["contents"],
            answer["candidates"][0]["content"],
            {"role": "user", "parts": [{"text": "more"}]},
        ]
    }
    status, _, _ = await forwarded(url, f"models/{FLASH}:generateContent", replay)
    assert status == 200, "a signature relayed byte for byte is accepted when replayed"

    status, headers, streamed = await forwarded(
        url, f"models/{FLASH}:streamGenerateContent", ask, query={"alt": "sse"}, stream=True
    )
    assert headers["content-type"].startswith("text/event-stream") and streamed.count(b"data: ") >= 3
    assert fake.requests[-1].path.endswith(":streamGenerateContent?alt=sse")

    counted = json.loads((await forwarded(url, f"models/{FLASH}:countTokens", {"contents": ask["contents"]}))[2])
    assert counted["totalTokens"] == 5
    embed = {"content": {"parts": [{"text": "hi"}]}, "outputDimensionality": 4}
    one = json.loads((await forwarded(url, f"models/{EMBEDDING}:embedContent", embed))[2])
    assert len(one["embedding"]["values"]) == 4
    batch = {"requests": [{"model": f"models/{EMBEDDING}", **embed}] * 2}
    assert (
        len(json.loads((await forwarded(url, f"models/{EMBEDDING}:batchEmbedContents", batch))[2])["embeddings"]) == 2
    )
    listed = json.loads((await forwarded(url, "models", None, method="GET", query={"pageSize": "2"}))[2])
    assert len(listed["models"]) == 2 and listed["nextPageToken"]


async def test_refused_native_calls_raise_the_mapped_error(stack: ExitStack) -> None:
    fake, url = serve_gemini(stack)
    ask = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    with pytest.raises(UpstreamAuthFailed):
        await forwarded(url, f"models/{FLASH}:generateContent", ask, secret="wrong")
    with pytest.raises(UpstreamRejected) as caught:
        await forwarded(url, f"models/{FLASH}:generateContent", {"messages": []})
    assert caught.value.status_code == 400 and caught.value.code == "INVALID_ARGUMENT"
    fake.knobs.status = 429
    with pytest.raises(UpstreamError) as limited:
        await forwarded(url, f"models/{FLASH}:generateContent", ask)
    assert limited.value.retryable and not isinstance(limited.value, UpstreamRejected)


async def test_model_listing_follows_every_page(stack: ExitStack) -> None:
    many = [f"gemini-test-{i}" for i in range(1203)]
    _, url = serve_gemini(stack, models=many)
    async with gemini_provider() as provider:
        assert await provider.list_models(url + "/v1beta", KEY) == many
        for capability in (ChatProvider, EmbeddingsProvider, ModelLister, Forwarder):
            assert isinstance(provider, capability)
        with pytest.raises(UpstreamAuthFailed):
            await provider.list_models(url, "wrong")


def serve_images(stack: ExitStack) -> str:
    async def png(request: Request) -> Response:
        return Response(base64.b64decode(PNG), media_type="image/png")

    async def page(request: Request) -> Response:
        return Response("<html></html>", media_type="text/html")

    app = Starlette(routes=[Route("/cat.png", png), Route("/page.html", page)])
    return str(stack.enter_context(serve_in_thread(app)))


def test_images_by_data_url_and_by_link(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake, url = serve_gemini(stack)
    images = serve_images(stack)
    gateway = make_gateway(
        **funded(),
        channels=[gemini_channel("gem", url)],
        prices=priced(),
        outbound={"allow_networks": ["127.0.0.1/32"]},
    )

    def ask(image_url: str) -> Any:
        parts = [{"type": "text", "text": "What is it?"}, {"type": "image_url", "image_url": {"url": image_url}}]
        return gpt(gateway).chat.completions.create(model=FLASH, messages=[{"role": "user", "content": parts}])

    inline = {"inlineData": {"mimeType": "image/png", "data": PNG}}
    for image_url in (f"data:image/png;base64,{PNG}", f"{images}/cat.png"):
        assert ask(image_url).choices[0].message.content == "Hello! You said: What is it?"
        assert fake.requests[-1].json["contents"][0]["parts"] == [{"text": "What is it?"}, inline]
    calls = len(fake.requests)
    with pytest.raises(openai.BadRequestError) as caught:
        ask(f"{images}/page.html")
    assert "messages.0.content.1" in caught.value.message and len(fake.requests) == calls
    assert_ledger_balanced(gateway)
