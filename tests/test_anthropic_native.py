"""Claude Code-grade Anthropic Messages: the official ``anthropic`` SDK, unchanged, against a real
gateway whose ``anthropic`` channel relays natively to a real FakeAnthropic server.

Thinking blocks keep their signatures both ways (the fake refuses a block it did not sign),
``anthropic-beta`` reaches the upstream, cache writes and reads are billed by kind, count_tokens
is free, ``/v1/models`` answers in Anthropic's shape, and failover and refunds work as for chat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import anthropic
import httpx
import openai
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token
from omnirelay.testing import FakeAnthropic, FakeAnthropicKnobs, serve_in_thread

THINK = {"type": "enabled", "budget_tokens": 1024}
BETAS = "interleaved-thinking-2025-05-14,extended-cache-ttl-2025-04-11"
PRICE = {
    **per_token("claude-test"),
    "cache_read_per_million": 100_000,
    "cache_write_5m_per_million": 1_250_000,
    "cache_write_1h_per_million": 2_000_000,
}


def claude(gateway: Gateway, key: str = USER_KEY) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0)


def serve_anthropic(stack: ExitStack, **knobs: Any) -> tuple[FakeAnthropic, str]:
    fake = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant-upstream", **knobs))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def anthropic_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "anthropic", "base_url": url, "secrets": ["sk-ant-upstream"], **extra}


def ask(text: str = "one two", **extra: Any) -> dict[str, Any]:
    return {"model": "claude-test", "max_tokens": 2048, "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture
def native(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> tuple[Gateway, FakeAnthropic]:
    fake, url = serve_anthropic(stack)
    claude_channel = anthropic_channel("claude", url, models=["claude-test", "claude-alias"])
    gateway = make_gateway(
        **funded(),
        channels=[{**claude_channel, "model_map": {"claude-alias": "claude-test"}}],
        prices=[PRICE, per_token("claude-alias")],
        local_provider=False,  # only the Anthropic channel's models are listed
    )
    return gateway, fake


def usage_detail(gateway: Gateway, request_id: str) -> dict[str, Any]:
    """The log row's usage detail (``request_logs.usage``): the bill, kind by kind."""

    async def read() -> Any:
        engine = create_async_engine(gateway.settings.effective_database_url)
        try:
            async with engine.connect() as conn:
                query = sa.text("SELECT usage FROM request_logs WHERE request_id = :id")
                return await conn.scalar(query, {"id": request_id})
        finally:
            await engine.dispose()

    gateway.flush()
    found = asyncio.run(read())
    return orjson.loads(found) if isinstance(found, str | bytes) else dict(found)


def kinds(detail: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {line["kind"]: (line["tokens"], line["cost"]) for line in detail["lines"] if "tokens" in line}


def test_thinking_round_trips_with_its_signature(native: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, fake = native
    fake.knobs.redacted_thinking = True
    first = claude(gateway).messages.create(**ask("Plan a trip", thinking=THINK))
    thinking, redacted, text = first.content
    assert thinking.type == "thinking" and thinking.signature and thinking.thinking.startswith("Let me think")
    assert redacted.type == "redacted_thinking" and redacted.data
    assert text.type == "text" and first.usage.output_tokens_details is not None

    turn = [b.model_dump(exclude_none=True) for b in first.content]
    history = [{"role": "user", "content": "Plan a trip"}, {"role": "assistant", "content": turn}]
    second = claude(gateway).messages.create(**ask(thinking=THINK, messages=[*history, ask("and back")["messages"][0]]))
    assert second.content[-1].type == "text"
    replayed = fake.requests[-1].json["messages"][1]["content"]
    assert replayed[0]["signature"] == thinking.signature and replayed[1]["data"] == redacted.data

    forged = [{**turn[0], "thinking": "I changed my mind"}, *turn[1:]]
    with pytest.raises(anthropic.BadRequestError) as caught:  # the upstream's own refusal, its type kept
        claude(gateway).messages.create(
            **ask(thinking=THINK, messages=[history[0], {**history[1], "content": forged}, history[0]])
        )
    assert caught.value.body["error"] == {
        "type": "invalid_request_error",
        "message": "messages.1.content.0: Invalid `signature` in `thinking` block",
    }
    assert caught.value.body["request_id"] == caught.value.response.headers["request-id"]
    assert_ledger_balanced(gateway)


def test_the_body_reaches_the_upstream_untouched_but_for_the_mapped_model(
    native: tuple[Gateway, FakeAnthropic],
) -> None:
    gateway, fake = native
    body = {
        **ask(thinking=THINK, service_tier="auto"),
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}],
        "x_field_from_the_future": {"nested": [1, 2.5, "three"]},
    }
    raw = orjson.dumps(body)
    headers = {"x-api-key": USER_KEY, "content-type": "application/json"}  # no anthropic-version: defaulted
    answer = httpx.post(gateway.url + "/v1/messages", content=raw, headers=headers)
    assert answer.status_code == 200, answer.text
    sent = fake.requests[-1]
    assert sent.raw == raw and sent.headers["anthropic-version"] == "2023-06-01"
    assert sent.headers["x-api-key"] == "sk-ant-upstream"
    message = answer.json()
    assert [b["type"] for b in message["content"]] == ["thinking", "server_tool_use", "web_search_tool_result", "text"]
    assert message["usage"]["server_tool_use"]["web_search_requests"] == 1
    assert message["usage"]["service_tier"] == "priority"
    assert answer.headers["request-id"].startswith("req_")

    aliased = httpx.post(
        gateway.url + "/v1/messages", content=orjson.dumps({**body, "model": "claude-alias"}), headers=headers
    )
    assert aliased.status_code == 200 and fake.requests[-1].raw == raw  # only the model was replaced


def test_streamed_thinking_is_relayed_byte_for_byte_and_billed(native: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, fake = native
    deltas: list[str] = []
    with claude(gateway).messages.stream(**ask("Plan a trip", thinking=THINK)) as stream:
        for event in stream:
            if event.type == "content_block_delta":
                deltas.append(event.delta.type)
        final = stream.get_final_message()
    assert deltas[:2] == ["thinking_delta", "signature_delta"] and deltas[2:] == ["text_delta"] * (len(deltas) - 2)
    thinking = final.content[0]
    assert thinking.type == "thinking" and thinking.signature and final.usage.output_tokens > 1

    history = [
        {"role": "user", "content": "Plan a trip"},
        {"role": "assistant", "content": [b.model_dump() for b in final.content]},
    ]
    with claude(gateway).messages.stream(
        **ask(thinking=THINK, messages=[*history, {"role": "user", "content": "ok"}])
    ) as stream:
        assert stream.get_final_message().stop_reason == "end_turn"
    assert fake.requests[-1].json["messages"][1]["content"][0]["signature"] == thinking.signature

    raw = b""
    request = {**ask("one two"), "stream": True}
    with httpx.stream("POST", gateway.url + "/v1/messages", json=request, headers={"x-api-key": USER_KEY}) as response:
        for chunk in response.iter_bytes():
            raw += chunk
    assert raw.count(b"event: ping\n") == 1 and raw.endswith(b'event: message_stop\ndata: {"type":"message_stop"}\n\n')
    logs = gateway.logs(model="claude-test")
    assert all(log["stream"] and log["status"] == 200 for log in logs)
    assert (logs[0]["prompt_tokens"], logs[0]["completion_tokens"]) == (5, 5)  # "Hello! You said: one two"
    assert_ledger_balanced(gateway)


def test_anthropic_beta_and_version_reach_the_upstream(native: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, fake = native
    claude(gateway).messages.create(**ask(), extra_headers={"anthropic-beta": BETAS})
    sent = fake.requests[-1].headers
    version = claude(gateway).default_headers["anthropic-version"]  # the SDK's own, whatever it is
    assert sent["anthropic-beta"] == BETAS and sent["anthropic-version"] == version
    assert USER_KEY not in str(sent)

    beta = claude(gateway).beta.messages.create(**ask(), betas=["context-1m-2025-08-07"])  # ?beta=true
    assert beta.content[0].type == "text"
    assert fake.requests[-1].headers["anthropic-beta"] == "context-1m-2025-08-07"


def test_cache_writes_and_reads_are_billed_by_kind(native: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, _ = native
    mark_1h = {"type": "ephemeral", "ttl": "1h"}
    system = [{"type": "text", "text": "You are a careful assistant who answers briefly", "cache_control": mark_1h}]
    question = {
        "role": "user",
        "content": [{"type": "text", "text": "one two three four", "cache_control": {"type": "ephemeral"}}],
    }
    body = {**ask(), "system": system, "messages": [question]}

    first = claude(gateway).messages.with_raw_response.create(**body)
    usage = first.parse().usage
    assert usage.cache_creation is not None and usage.cache_read_input_tokens == 0
    assert (usage.cache_creation.ephemeral_1h_input_tokens, usage.cache_creation.ephemeral_5m_input_tokens) == (11, 7)
    with claude(gateway).messages.stream(**body) as stream:  # the same prefix again: read from the cache
        assert stream.get_final_message().usage.cache_read_input_tokens == 18
    follow_up = [
        question,
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "five six", "cache_control": {"type": "ephemeral"}},
                {"type": "text", "text": "seven"},
            ],
        },
    ]
    third = claude(gateway).messages.with_raw_response.create(**{**body, "messages": follow_up})
    assert third.parse().usage.input_tokens == 1

    logs = {log["request_id"]: log for log in gateway.logs(model="claude-test")}
    # 1 per input token, 2 per output token; cache reads 0.1, 5-minute writes 1.25, 1-hour writes 2
    written = usage_detail(gateway, first.headers["request-id"])
    assert kinds(written)["cache_write_1h"] == (11, "22") and kinds(written)["cache_write_5m"] == (7, "8.75")
    assert logs[first.headers["request-id"]]["cost"] == 45  # 22 + 8.75 + 7 output x 2 = 44.75, rounded up once
    mixed = usage_detail(gateway, third.headers["request-id"])
    assert kinds(mixed)["cache_read"] == (18, "1.8") and kinds(mixed)["cache_write_5m"] == (9, "11.25")
    assert kinds(mixed)["uncached_input"] == (1, "1")
    assert logs[third.headers["request-id"]]["cost"] == 27  # 1.8 + 11.25 + 1 + 6 output x 2 = 26.05
    streamed = [log for log in logs.values() if log["stream"]][0]
    assert (streamed["prompt_tokens"], streamed["cost"]) == (18, 16)  # 1.8 + 14
    assert_ledger_balanced(gateway)


def test_count_tokens_is_the_upstreams_and_free(
    native: tuple[Gateway, FakeAnthropic], make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, fake = native
    tools = [{"name": "ls", "description": "List dir", "input_schema": {"type": "object", "properties": {}}}]
    counted = claude(gateway).messages.count_tokens(
        model="claude-alias", system="Be terse.", messages=ask()["messages"], tools=tools
    )
    sent = fake.requests[-1]
    assert sent.path == "/v1/messages/count_tokens" and sent.json["model"] == "claude-test"
    prompt = {"system": "Be terse.", "tools": tools, "messages": ask()["messages"]}
    assert counted.input_tokens == -(-len(orjson.dumps(prompt)) // 4)
    beta = claude(gateway).beta.messages.count_tokens(model="claude-test", messages=ask()["messages"])
    assert beta.input_tokens > 0
    assert gateway.logs(model="claude-test") == [] and gateway.logs(model="claude-alias") == []

    upstream = make_upstream()  # no Anthropic channel: the gateway's own estimate
    elsewhere = make_gateway(**funded(), channels=[channel("oa", upstream)], prices=[per_token()])
    estimate = claude(elsewhere).messages.count_tokens(
        model="gpt-test", messages=[{"role": "user", "content": "Hello world"}]
    )
    assert estimate.input_tokens == 5  # 2 tokens of text + 3 for the message
    assert upstream.fake.requests == [] and elsewhere.logs() == []
    with pytest.raises(anthropic.NotFoundError):
        claude(elsewhere).messages.count_tokens(model="nope", messages=ask()["messages"])


def test_models_answer_in_anthropics_shape_with_anthropic_version(native: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, _ = native
    page = claude(gateway).models.list(limit=1)
    assert [m.id for m in page.data] == ["claude-alias"] and page.has_more and page.last_id == "claude-alias"
    assert [m.id for m in claude(gateway).models.list(limit=1)] == ["claude-alias", "claude-test"]  # follows after_id
    model = claude(gateway).models.retrieve("claude-test")
    assert (model.type, model.display_name, model.created_at.year) == ("model", "claude-test", 2023)
    with pytest.raises(anthropic.NotFoundError):
        claude(gateway).models.retrieve("nope")
    raw = httpx.get(
        gateway.url + "/v1/models", headers={"anthropic-version": "2023-06-01", "x-api-key": USER_KEY}
    ).json()
    assert set(raw) == {"data", "has_more", "first_id", "last_id"}
    listed = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY).models.list()
    assert [m.id for m in listed.data] == ["claude-alias", "claude-test"] and listed.data[0].object == "model"


def test_a_failing_anthropic_channel_fails_over_and_broken_streams_are_refunded(
    stack: ExitStack, make_gateway: Callable[..., Gateway]
) -> None:
    busy, busy_url = serve_anthropic(stack, status=529, error_message="Overloaded")
    healthy, healthy_url = serve_anthropic(stack)
    channels = [
        anthropic_channel("busy", busy_url, models=["claude-test"], priority=10),
        anthropic_channel("healthy", healthy_url, models=["claude-test"]),
    ]
    gateway = make_gateway(**funded(), channels=channels, prices=[PRICE])
    answer = claude(gateway).messages.create(**ask(thinking=THINK))
    assert answer.content[0].type == "thinking" and len(busy.requests) == 1 and len(healthy.requests) == 1
    with claude(gateway).messages.stream(**ask(thinking=THINK)) as stream:
        assert stream.get_final_message().content[0].type == "thinking"

    healthy.knobs.cut_stream_after = 1  # the upstream breaks after the first bytes reached the client
    with pytest.raises(anthropic.APIStatusError) as caught:
        with claude(gateway).messages.stream(**ask("one two three")) as stream:
            list(stream.text_stream)
    assert caught.value.body["error"]["type"] == "api_error"
    broken = gateway.logs(model="claude-test")[0]
    assert (broken["status"], broken["cost"], broken["endpoint"]) == (502, 0, "/v1/messages")
    assert_ledger_balanced(gateway)


def test_a_client_that_leaves_mid_stream_pays_for_what_was_reported(native: tuple[Gateway, FakeAnthropic]) -> None:
    gateway, fake = native
    fake.knobs.chunk_delay_s = 0.2
    request = {**ask("one two three four five six"), "stream": True}
    with httpx.stream("POST", gateway.url + "/v1/messages", json=request, headers={"x-api-key": USER_KEY}) as response:
        next(response.iter_bytes())  # message_start (with the prompt's usage) and ping, then hang up
    deadline = time.monotonic() + 10
    while not (logs := gateway.logs(model="claude-test")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logs and logs[0]["status"] == 499
    assert logs[0]["prompt_tokens"] == 9 and logs[0]["cost"] >= 9  # the prompt message_start reported
    assert_ledger_balanced(gateway)


def test_a_model_on_both_kinds_of_channel_converts_for_the_openai_one(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    broken, broken_url = serve_anthropic(stack, status=500)
    upstream = make_upstream()
    channels = [
        anthropic_channel("claude", broken_url, models=["claude-test"], priority=10),
        {**channel("oa", upstream), "models": ["claude-test"]},
    ]
    gateway = make_gateway(**funded(), channels=channels, prices=[PRICE])
    signed = {"type": "thinking", "thinking": "Earlier thoughts", "signature": "EqQB"}
    history = [*ask("hi")["messages"], {"role": "assistant", "content": [signed]}, {"role": "user", "content": "ok"}]
    answer = claude(gateway).messages.create(**ask(thinking=THINK, messages=history))
    assert answer.content[-1].type == "text" and len(broken.requests) == 1  # tried natively first, then converted
    sent = upstream.chat_requests()[-1].json
    assert sent["reasoning_effort"] == "low" and sent["model"] == "claude-test"
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]  # the signed block is not sent
    assert_ledger_balanced(gateway)


def test_a_stream_cut_at_the_deadline_is_billed_for_what_was_delivered(
    stack: ExitStack, make_gateway: Callable[..., Gateway]
) -> None:
    fake, url = serve_anthropic(stack, chunk_delay_s=0.4, reply="a b c d e f g h i j", chunks=10)
    gateway = make_gateway(
        **funded(),
        channels=[anthropic_channel("claude", url, models=["claude-test"])],
        prices=[PRICE],
        relay={"max_request_s": 1.0},
    )
    with pytest.raises(anthropic.APIStatusError) as caught:
        with claude(gateway).messages.stream(**ask("one two")) as stream:
            list(stream.text_stream)
    assert caught.value.body["error"]["type"] == "timeout_error"
    cut = gateway.logs(model="claude-test")[0]
    assert cut["status"] == 504 and cut["prompt_tokens"] == 5 and 1 <= cut["completion_tokens"] < 10
    assert cut["cost"] == 5 + 2 * cut["completion_tokens"]
    assert_ledger_balanced(gateway)
