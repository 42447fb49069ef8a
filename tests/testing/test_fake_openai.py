"""The fake OpenAI upstream behaves like the real API, and its knobs do what they say."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import aiohttp
import openai
import pytest

from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread


@pytest.fixture
def fake() -> Iterator[tuple[FakeOpenAI, openai.OpenAI, str]]:
    upstream = FakeOpenAI()
    with serve_in_thread(upstream.app) as url:
        yield upstream, openai.OpenAI(base_url=url + "/v1", api_key="sk-x", max_retries=0), url


def test_models_and_deterministic_usage(fake: tuple[FakeOpenAI, openai.OpenAI, str]) -> None:
    upstream, client, _ = fake
    assert [m.id for m in client.models.list().data] == ["gpt-4o-mini", "gpt-test"]
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "one two"}])
    assert answer.choices[0].message.content == "Hello! You said: one two"
    assert answer.usage is not None
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (5, 5)
    assert upstream.requests[-1].json["messages"][0]["content"] == "one two"


def test_stream_usage_chunk_only_when_asked(fake: tuple[FakeOpenAI, openai.OpenAI, str]) -> None:
    _, client, _ = fake
    messages = [{"role": "user", "content": "hi"}]
    plain = list(client.chat.completions.create(model="m", messages=messages, stream=True))  # type: ignore[arg-type]
    assert all(c.usage is None for c in plain)
    with_usage = list(
        client.chat.completions.create(
            model="m",
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert with_usage[-1].choices == [] and with_usage[-1].usage is not None


def test_tool_call_and_json_mode(fake: tuple[FakeOpenAI, openai.OpenAI, str]) -> None:
    _, client, _ = fake
    tool = {"type": "function", "function": {"name": "f", "parameters": {"required": ["a", "b"]}}}
    answer = client.chat.completions.create(
        model="m",
        messages=[{"role": "user", "content": "x"}],
        tools=[tool],  # type: ignore[list-item]
    )
    call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert answer.choices[0].finish_reason == "tool_calls"
    assert json.loads(call.function.arguments) == {"a": "test", "b": "test"}  # type: ignore[union-attr]
    json_answer = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "x"}], response_format={"type": "json_object"}
    )
    assert json.loads(json_answer.choices[0].message.content or "") == {"reply": "Hello! You said: x"}


def test_status_knob_with_fail_times_and_api_key(fake: tuple[FakeOpenAI, openai.OpenAI, str]) -> None:
    upstream, client, _ = fake
    upstream.knobs.status, upstream.knobs.fail_times = 503, 1
    with pytest.raises(openai.InternalServerError):
        client.models.list()
    assert client.models.list().data
    upstream.knobs.api_key = "sk-other"
    with pytest.raises(openai.AuthenticationError):
        client.models.list()


async def _read(url: str, body: dict[str, object]) -> bytes:
    async with aiohttp.ClientSession() as session, session.post(url + "/v1/chat/completions", json=body) as response:
        return await response.read()


def test_reset_and_cut_knobs_drop_the_connection(fake: tuple[FakeOpenAI, openai.OpenAI, str]) -> None:
    upstream, _, url = fake
    body: dict[str, object] = {"model": "m", "messages": [{"role": "user", "content": "a b c d e"}], "stream": True}
    upstream.knobs.reset_before_first_chunk = True
    with pytest.raises(aiohttp.ClientPayloadError):
        asyncio.run(_read(url, body))
    upstream.knobs.reset_before_first_chunk = False
    upstream.knobs.cut_stream_after = 2

    async def count_chunks() -> int:
        seen = 0
        async with aiohttp.ClientSession() as session:
            async with session.post(url + "/v1/chat/completions", json=body) as response:
                try:
                    async for line in response.content:
                        seen += line.startswith(b"data: {") and b'"content":"' in line and b'"content":""' not in line
                except aiohttp.ClientPayloadError:
                    return seen
        raise AssertionError("the stream was not cut")

    assert asyncio.run(count_chunks()) == 2


def test_latency_knob(fake: tuple[FakeOpenAI, openai.OpenAI, str]) -> None:
    upstream, client, _ = fake
    upstream.knobs = FakeOpenAIKnobs(latency_s=0.2)
    started = time.monotonic()
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - started >= 0.2
