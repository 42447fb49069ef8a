"""Anthropic Messages both ways, through official SDKs and a real gateway.

Claude clients (the ``anthropic`` SDK) reach an OpenAI upstream through ``POST /v1/messages``;
OpenAI clients reach an Anthropic upstream through a channel of type ``anthropic``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import anthropic
import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token
from omnirelay.testing import FakeAnthropic, FakeAnthropicKnobs, serve_in_thread

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
OPENAI_WEATHER = {
    "type": "function",
    "function": {"name": WEATHER["name"], "description": WEATHER["description"], "parameters": WEATHER["input_schema"]},
}


def claude(gateway: Gateway, key: str = USER_KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0)


def gpt(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)


def serve_anthropic(stack: ExitStack, **knobs: Any) -> tuple[FakeAnthropic, str]:
    fake = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant-upstream", **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def anthropic_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "anthropic",
        "base_url": url,
        "secrets": ["sk-ant-upstream"],
        "models": ["claude-test"],
        **extra,
    }


@pytest.fixture
def via_openai(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(**funded(), channels=[channel("oa", upstream)], prices=[per_token()])
    return gateway, upstream


def test_claude_sdk_reaches_an_openai_upstream_and_is_billed(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    ask = {
        "model": "gpt-test",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "one two"}],
    }
    message = claude(gateway).messages.create(**ask)
    assert message.id.startswith("msg_") and message.type == "message" and message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and message.content[0].text == "Hello! You said: one two"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (10, 5)  # the fake counts words + 3 a message
    sent = upstream.chat_requests()[-1].json
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."} and sent["max_tokens"] == 100

    with claude(gateway).messages.stream(**ask) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == "Hello! You said: one two"
    assert (final.stop_reason, final.usage.input_tokens, final.usage.output_tokens) == ("end_turn", 10, 5)

    logs = gateway.logs(model="gpt-test")
    assert [(log["endpoint"], log["stream"]) for log in logs] == [("/v1/messages", True), ("/v1/messages", False)]
    assert all((log["prompt_tokens"], log["completion_tokens"], log["cost"]) == (10, 5, 20) for log in logs)
    assert_ledger_balanced(gateway)


def test_claude_sdk_tools_and_images_through_an_openai_upstream(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
    question = {"role": "user", "content": [{"type": "text", "text": "Weather where this was taken?"}, image]}
    ask: dict[str, Any] = {"model": "gpt-test", "max_tokens": 100, "tools": [WEATHER], "messages": [question]}
    message = claude(gateway).messages.create(**ask)
    call = message.content[-1]
    assert message.stop_reason == "tool_use" and call.type == "tool_use"
    assert (call.name, call.input) == ("get_weather", {"city": "test"})
    parts = upstream.chat_requests()[-1].json["messages"][0]["content"]
    assert parts[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}

    with claude(gateway).messages.stream(**ask) as stream:
        streamed = stream.get_final_message().content[-1]
    assert streamed.type == "tool_use" and streamed.input == {"city": "test"}

    result = {"type": "tool_result", "tool_use_id": call.id, "content": "18C"}
    follow_up = [question, {"role": "assistant", "content": [call.model_dump()]}, {"role": "user", "content": [result]}]
    answer = claude(gateway).messages.create(**{**ask, "messages": follow_up, "tool_choice": {"type": "none"}})
    assert answer.stop_reason == "end_turn" and answer.content[0].type == "text"
    sent = upstream.chat_requests()[-1].json["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.id
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "18C"}
    assert_ledger_balanced(gateway)


def test_openai_sdk_reaches_an_anthropic_channel(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake, url = serve_anthropic(stack)
    gateway = make_gateway(**funded(), channels=[anthropic_channel("claude", url)], prices=[per_token("claude-test")])
    messages: list[Any] = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "one two"}]
    answer = gpt(gateway).chat.completions.create(model="claude-test", messages=messages)
    assert answer.choices[0].message.content == "Hello! You said: one two"
    assert answer.usage is not None and (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (10, 5)
    sent = fake.requests[-1]
    assert sent.path == "/v1/messages" and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.json["system"] == "Be brief." and sent.json["max_tokens"] == 4096

    chunks = list(
        gpt(gateway).chat.completions.create(
            model="claude-test", messages=messages, stream=True, stream_options={"include_usage": True}
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello! You said: one two"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5

    ask = [{"role": "user", "content": "What's the weather in Paris? Use get_weather."}]
    called = gpt(gateway).chat.completions.create(model="claude-test", messages=ask, tools=[OPENAI_WEATHER])
    tool_call = called.choices[0].message.tool_calls[0]
    assert (
        called.choices[0].finish_reason == "tool_calls" and called.choices[0].message.content == "Calling get_weather."
    )
    assert json.loads(tool_call.function.arguments) == {"city": "test"}

    streamed = gpt(gateway).chat.completions.create(
        model="claude-test", messages=ask, tools=[OPENAI_WEATHER], stream=True
    )
    arguments = "".join(
        d.function.arguments or "" for c in streamed for d in c.choices[0].delta.tool_calls or [] if d.function
    )
    assert json.loads(arguments) == {"city": "test"}

    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}
    history = [
        *ask,
        called.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": tool_call.id, "content": "18C"},
        {"role": "user", "content": [{"type": "text", "text": "And this?"}, image]},
    ]
    final = gpt(gateway).chat.completions.create(model="claude-test", messages=history, tools=[OPENAI_WEATHER])
    assert final.choices[0].message.content == "Hello! You said: 18C And this? [1 image]"

    logs = gateway.logs(model="claude-test")
    assert len(logs) == 5 and all(log["endpoint"] == "chat.completions" and log["status"] == 200 for log in logs)
    assert logs[-1]["prompt_tokens"] == 10 and logs[-1]["cost"] == 20
    assert_ledger_balanced(gateway)


def test_errors_come_in_anthropic_shape(via_openai: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = via_openai
    url = gateway.url + "/v1/messages"
    body = {"model": "gpt-test", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}

    def post(headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        return httpx.post(url, headers={"anthropic-version": "2023-06-01", **headers}, **kwargs)

    assert post({"Authorization": f"Bearer {USER_KEY}"}, json=body).json()["type"] == "message"
    cases = [
        ({"x-api-key": "sk-wrong"}, {"json": body}, 401, "authentication_error"),
        ({}, {"json": body}, 401, "authentication_error"),
        ({"x-api-key": USER_KEY}, {"json": {**body, "model": "nope"}}, 404, "not_found_error"),
        ({"x-api-key": USER_KEY}, {"content": b"{not json"}, 400, "invalid_request_error"),
        ({"x-api-key": USER_KEY}, {"json": {**body, "max_tokens": None}}, 400, "invalid_request_error"),
    ]
    for headers, kwargs, status, kind in cases:
        response = post(headers, **kwargs)
        assert response.status_code == status, response.text
        error = response.json()
        assert error["type"] == "error" and error["error"]["type"] == kind and error["error"]["message"]
    with pytest.raises(anthropic.AuthenticationError):
        claude(gateway, "sk-wrong").messages.create(**body)
    with pytest.raises(anthropic.NotFoundError):
        claude(gateway).messages.create(**{**body, "model": "nope"})
    assert len(upstream.chat_requests()) == 1

    upstream.knobs.cut_stream_after = 1  # the upstream breaks after the first bytes reached the client
    with pytest.raises(anthropic.APIStatusError) as caught:
        with claude(gateway).messages.stream(**body) as stream:
            list(stream.text_stream)
    assert caught.value.body["error"]["type"] == "api_error"
    broken = gateway.logs(model="gpt-test")[0]
    assert (broken["endpoint"], broken["status"], broken["cost"]) == ("/v1/messages", 502, 0)
    assert_ledger_balanced(gateway)


def test_overloaded_anthropic_channel_fails_over(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    busy, busy_url = serve_anthropic(stack, status=529, error_message="Overloaded")
    healthy, healthy_url = serve_anthropic(stack)
    gateway = make_gateway(
        **funded(),
        channels=[anthropic_channel("busy", busy_url, priority=10), anthropic_channel("healthy", healthy_url)],
        prices=[per_token("claude-test")],
    )
    ask: list[Any] = [{"role": "user", "content": "one two"}]
    assert gpt(gateway).chat.completions.create(model="claude-test", messages=ask).choices[0].message.content
    with claude(gateway).messages.stream(model="claude-test", max_tokens=50, messages=ask) as stream:
        assert "".join(stream.text_stream) == "Hello! You said: one two"
    assert len(busy.requests) == 2 and len(healthy.requests) == 2

    healthy.knobs.status = 529
    with pytest.raises(anthropic.APIStatusError) as caught:
        claude(gateway).messages.create(model="claude-test", max_tokens=50, messages=ask)
    assert caught.value.status_code == 502
    assert caught.value.body["error"]["type"] == "api_error"
    logs = gateway.logs(model="claude-test")
    assert logs[0]["status"] == 502 and logs[0]["cost"] == 0 and logs[0]["endpoint"] == "/v1/messages"
    assert [log["cost"] for log in logs[1:]] == [15, 15]  # 5 prompt tokens, 5 completion tokens at 2
    assert_ledger_balanced(gateway)
