"""The fake Anthropic upstream behaves like the real API for the official SDK, and its knobs do what they say."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest

from omnirelay.testing import FakeAnthropic, FakeAnthropicKnobs, serve_in_thread

TOOL = {"name": "get_weather", "input_schema": {"type": "object", "required": ["city"]}}


@pytest.fixture
def fake() -> Iterator[tuple[FakeAnthropic, anthropic.Anthropic, str]]:
    upstream = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant"))
    with serve_in_thread(upstream.app) as url:
        yield upstream, anthropic.Anthropic(base_url=url, api_key="sk-ant", max_retries=0), url


def test_text_answer_usage_and_stop_sequences(fake: tuple[FakeAnthropic, anthropic.Anthropic, str]) -> None:
    _, client, _ = fake
    ask: dict[str, Any] = {"model": "claude-test", "max_tokens": 100, "system": "Be brief."}
    message = client.messages.create(**ask, messages=[{"role": "user", "content": "one two"}])
    assert message.content[0].type == "text" and message.content[0].text == "Hello! You said: one two"
    assert (message.usage.input_tokens, message.usage.output_tokens, message.stop_reason) == (10, 5, "end_turn")
    stopped = client.messages.create(**ask, messages=[{"role": "user", "content": "a b"}], stop_sequences=["said"])
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "said")
    short = client.messages.create(**{**ask, "max_tokens": 2}, messages=[{"role": "user", "content": "a b"}])
    assert short.stop_reason == "max_tokens" and short.content[0].text == "Hello! You"
    assert [m.id for m in client.models.list()] == ["claude-test", "claude-sonnet-4-5"]


def test_tool_use_streamed_and_answered(fake: tuple[FakeAnthropic, anthropic.Anthropic, str]) -> None:
    _, client, _ = fake
    ask: dict[str, Any] = {"model": "claude-test", "max_tokens": 100, "tools": [TOOL]}
    question = {"role": "user", "content": "Use get_weather for Paris"}
    with client.messages.stream(**ask, messages=[question]) as stream:
        message = stream.get_final_message()
    call = message.content[-1]
    assert message.stop_reason == "tool_use" and call.type == "tool_use" and call.input == {"city": "test"}
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "18C"}
    turns = [question, {"role": "assistant", "content": message.content}, {"role": "user", "content": [result]}]
    assert client.messages.create(**ask, messages=turns).stop_reason == "end_turn"
    wrong = [*turns[:2], {"role": "user", "content": [{**result, "tool_use_id": "toolu_other"}]}]
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(**ask, messages=wrong)


def test_knobs_fail_then_recover_and_check_the_key(fake: tuple[FakeAnthropic, anthropic.Anthropic, str]) -> None:
    upstream, client, url = fake
    upstream.knobs.status, upstream.knobs.fail_times = 529, 1
    ask: dict[str, Any] = {"model": "claude-test", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(anthropic.InternalServerError) as caught:
        client.messages.create(**ask)
    assert caught.value.status_code == 529 and caught.value.body["error"]["type"] == "overloaded_error"
    assert client.messages.create(**ask).content
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=url, api_key="sk-wrong", max_retries=0).messages.create(**ask)
    no_version = httpx.post(url + "/v1/messages", json=ask, headers={"x-api-key": "sk-ant"})
    assert no_version.status_code == 400
    upstream.knobs.cut_stream_after = 1
    with pytest.raises(Exception, match="peer closed connection"), client.messages.stream(**ask) as stream:
        list(stream.text_stream)
