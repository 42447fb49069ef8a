"""Pure pieces of the Anthropic surfaces: thinking on the conversion path, usage read from streams,
and the gateway's own token estimate (no I/O)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from omnirelay.providers.anthropic.stream import AnthropicEvents, OpenAIChunks, event_frame
from omnirelay.providers.anthropic.transform import anthropic_message_from_openai, openai_request_from_anthropic
from omnirelay.providers.base import Usage
from omnirelay.providers.usage import from_anthropic
from omnirelay.relay.messages_stream import EventWatch
from omnirelay.relay.messages_tokens import count_messages_request
from omnirelay.relay.tokens import TokenCounter

ASK = {"model": "m", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
START = {
    "type": "message_start",
    "message": {
        "id": "msg_1",
        "model": "claude-test",
        "usage": {
            "input_tokens": 3,
            "cache_creation_input_tokens": 30,
            "cache_read_input_tokens": 100,
            "cache_creation": {"ephemeral_5m_input_tokens": 10, "ephemeral_1h_input_tokens": 20},
            "output_tokens": 1,
        },
    },
}
DELTA = {
    "type": "message_delta",
    "delta": {"stop_reason": "end_turn"},
    "usage": {"output_tokens": 40, "output_tokens_details": {"thinking_tokens": 25}},
}
BILLED = Usage(133, 40, cache_read=100, cache_write_5m=10, cache_write_1h=20, reasoning=25)


@pytest.mark.parametrize(
    ("extra", "effort"),
    [
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "low"),
        ({"thinking": {"type": "enabled", "budget_tokens": 8000}}, "medium"),
        ({"thinking": {"type": "enabled", "budget_tokens": 32000}}, "high"),
        ({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}, "high"),
        ({"thinking": {"type": "adaptive"}}, None),
        ({"thinking": {"type": "disabled"}}, None),
        ({}, None),
    ],
)
def test_thinking_becomes_reasoning_effort(extra: dict[str, Any], effort: str | None) -> None:
    assert openai_request_from_anthropic({**ASK, **extra}).get("reasoning_effort") == effort


def test_reasoning_content_becomes_an_unsigned_thinking_block() -> None:
    reply = {"role": "assistant", "content": "Paris.", "reasoning_content": "The capital of France"}
    completion = {
        "id": "chatcmpl-1",
        "model": "m",
        "choices": [{"index": 0, "message": reply, "finish_reason": "stop"}],
    }
    content = anthropic_message_from_openai(completion)["content"]
    assert content == [
        {"type": "thinking", "thinking": "The capital of France", "signature": ""},
        {"type": "text", "text": "Paris."},
    ]


def test_streamed_reasoning_becomes_a_thinking_block_before_the_text() -> None:
    events = AnthropicEvents("m")
    chunks = [{"reasoning_content": "Hmm"}, {"reasoning_content": " yes"}, {"content": "Paris."}]
    out = [e for delta in chunks for e in events.feed({"id": "c", "choices": [{"index": 0, "delta": delta}]})]
    out += events.finish()
    blocks = [(e["type"], e.get("content_block", e.get("delta", {})).get("type")) for e in out if "index" in e]
    assert blocks == [
        ("content_block_start", "thinking"),
        ("content_block_delta", "thinking_delta"),
        ("content_block_delta", "thinking_delta"),
        ("content_block_stop", None),
        ("content_block_start", "text"),
        ("content_block_delta", "text_delta"),
        ("content_block_stop", None),
    ]


def test_stream_usage_is_read_with_anthropics_semantics_the_last_counts_winning() -> None:
    chunks = OpenAIChunks(created=0)
    chunks.feed(START)
    assert from_anthropic(chunks.usage) == Usage(133, 1, cache_read=100, cache_write_5m=10, cache_write_1h=20)
    chunks.feed(DELTA)
    assert from_anthropic(chunks.usage) == BILLED


@pytest.mark.parametrize("cut", [1, 7, 64])
def test_the_event_watch_reads_usage_whatever_the_network_reads(cut: int) -> None:
    stream = b"".join(event_frame(e) for e in (START, {"type": "ping"}, DELTA, {"type": "message_stop"}))
    watch = EventWatch("up")
    for start in range(0, len(stream), cut):
        watch.feed(stream[start : start + cut])
    assert watch.usage == BILLED and watch.stopped and watch.error is None

    broken = EventWatch("up")
    broken.feed(event_frame({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    assert broken.error is not None and broken.error.code == "upstream_overloaded"


def test_the_local_estimate_counts_every_part_of_the_prompt() -> None:
    counter = TokenCounter()
    tool = {"name": "ls", "input_schema": {"type": "object"}}
    image = {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}
    body = {
        "system": [{"type": "text", "text": "Hello world"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hello world"}, image]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "Hello world", "signature": "x"}]},
        ],
        "tools": [tool],
    }
    expected = 2 + (3 + 2 + 1600) + (3 + 2) + counter.count_text(orjson.dumps([tool]).decode())
    assert count_messages_request(counter, body) == expected
