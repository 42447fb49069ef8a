"""The OpenAI Responses API through a real gateway, driven by the official ``openai`` SDK unchanged.

Two ways a request is served: converted to chat for a chat-only channel (the gateway keeps the
conversation for ``previous_response_id``), or passed through untouched to an OpenAI channel
whose ``responses`` option is on (the upstream keeps it; the gateway only knows whose it is).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from conftest import (
    ADMIN_KEY,
    USER_KEY,
    Gateway,
    Upstream,
    assert_ledger_balanced,
    channel,
    per_token,
    sqlite_only,
)
from omnirelay.db.engine import create_engine, now_ms
from omnirelay.db.migrate import upgrade
from omnirelay.relay.responses_store import ResponsesStore, StoredResponse
from test_cli_channels import Cli

OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
LOOKUP = {
    "type": "function",
    "name": "lookup_sku",
    "description": "Find a product",
    "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]},
    "strict": True,
}


def two_accounts() -> dict[str, Any]:
    return {
        "accounts": [{"name": "acme", "balance": 10**12}, {"name": "other", "balance": 10**12}],
        "keys": [
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "other", "name": "main", "key": OTHER_KEY},
        ],
    }


def client(gateway: Gateway, key: str = USER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)


@pytest.fixture
def chat_only(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(**two_accounts(), channels=[channel("chat", upstream)], prices=[per_token()])
    return gateway, upstream


@pytest.fixture
def native(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    responses = channel("native", upstream, options={"responses": True}, model_map={"gpt-test": "gpt-4o-mini"})
    gateway = make_gateway(**two_accounts(), channels=[responses], prices=[per_token()])
    return gateway, upstream


def responses_requests(upstream: Upstream) -> list[Any]:
    return [r for r in upstream.fake.requests if r.path.startswith("/v1/responses")]


def test_text_on_a_chat_only_channel_is_converted_billed_and_logged(chat_only: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = chat_only
    response = client(gateway).responses.create(model="gpt-test", input="one two", instructions="Be brief.")
    assert response.id.startswith("resp_") and response.status == "completed"
    assert response.output_text == "Hello! You said: one two"
    assert response.usage is not None and response.usage.input_tokens > 0 and response.usage.output_tokens == 5
    sent = upstream.chat_requests()[-1].json
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "one two"}]
    assert sent["model"] == "gpt-test" and "input" not in sent
    logs = gateway.logs(model="gpt-test")
    assert [(log["endpoint"], log["status"]) for log in logs] == [("/v1/responses", 200)]
    assert logs[0]["prompt_tokens"] == response.usage.input_tokens and logs[0]["cost"] > 0
    assert_ledger_balanced(gateway)


def test_stream_events_arrive_in_order_with_sequence_numbers(chat_only: tuple[Gateway, Upstream]) -> None:
    gateway, _ = chat_only
    events = list(client(gateway).responses.create(model="gpt-test", input="one two three", stream=True))
    types = [e.type for e in events]
    assert types[:5] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert set(types[4:-4]) == {"response.output_text.delta"}
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output_text == "Hello! You said: one two three" and final.usage is not None
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == final.output_text
    stored = client(gateway).responses.retrieve(final.id)
    assert stored.output_text == final.output_text and stored.status == "completed"
    assert_ledger_balanced(gateway)


def test_stream_helper_gives_the_final_response(chat_only: tuple[Gateway, Upstream]) -> None:
    gateway, _ = chat_only
    with client(gateway).responses.stream(model="gpt-test", input="hi there") as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == "Hello! You said: hi there"


def test_function_tool_round_trip_reaches_a_chat_upstream_as_tool_messages(
    chat_only: tuple[Gateway, Upstream],
) -> None:
    gateway, upstream = chat_only
    sdk = client(gateway)
    first = sdk.responses.create(model="gpt-test", input="Price of A-17?", tools=[LOOKUP])  # type: ignore[list-item]
    call = next(item for item in first.output if item.type == "function_call")
    assert call.name == "lookup_sku" and call.arguments == '{"sku": "test"}' and call.call_id
    sent_tools = upstream.chat_requests()[-1].json["tools"]
    assert sent_tools[0]["type"] == "function" and sent_tools[0]["function"]["name"] == "lookup_sku"
    second = sdk.responses.create(
        model="gpt-test",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"price": 12.5}'}],
        tools=[LOOKUP],  # type: ignore[list-item]
        tool_choice="none",
    )
    assert second.status == "completed" and second.previous_response_id == first.id
    messages = upstream.chat_requests()[-1].json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["tool_calls"][0]["id"] == call.call_id
    assert messages[1]["tool_calls"][0]["function"] == {"name": "lookup_sku", "arguments": '{"sku": "test"}'}
    assert (messages[2]["tool_call_id"], messages[2]["content"]) == (call.call_id, '{"price": 12.5}')


def test_previous_response_id_carries_the_conversation_and_the_store_answers(
    chat_only: tuple[Gateway, Upstream],
) -> None:
    gateway, upstream = chat_only
    sdk = client(gateway)
    first = sdk.responses.create(model="gpt-test", input="first question", instructions="Not inherited.")
    second = sdk.responses.create(model="gpt-test", input="second question", previous_response_id=first.id)
    messages = upstream.chat_requests()[-1].json["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]  # instructions are not carried over
    assert messages[1]["content"] == "Hello! You said: first question"
    assert second.output_text == "Hello! You said: second question"
    assert sdk.responses.retrieve(second.id).output_text == second.output_text
    items = sdk.responses.input_items.list(second.id)  # newest first, the whole conversation
    texts = [getattr(i, "content", [None])[0] for i in items.data]
    assert [getattr(t, "text", None) for t in texts] == ["second question", first.output_text, "first question"]
    page = sdk.responses.input_items.list(second.id, order="asc", limit=1)
    assert page.has_more and len(page.data) == 1
    after = sdk.responses.input_items.list(second.id, order="asc", limit=2, after=page.data[0].id)
    assert [i.id for i in after.data] == [items.data[1].id, items.data[0].id]
    sdk.responses.delete(second.id)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(second.id)
    unstored = sdk.responses.create(model="gpt-test", input="forget me", store=False)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(unstored.id)


def test_another_accounts_ids_are_not_found(chat_only: tuple[Gateway, Upstream]) -> None:
    gateway, _ = chat_only
    mine = client(gateway).responses.create(model="gpt-test", input="secret plans")
    theirs = client(gateway, OTHER_KEY)
    with pytest.raises(openai.NotFoundError) as retrieved:
        theirs.responses.retrieve(mine.id)
    assert f"'{mine.id}' not found" in retrieved.value.message
    for attempt in (lambda: theirs.responses.delete(mine.id), lambda: theirs.responses.input_items.list(mine.id)):
        with pytest.raises(openai.NotFoundError):
            attempt()
    with pytest.raises(openai.NotFoundError) as chained:
        theirs.responses.create(model="gpt-test", input="and?", previous_response_id=mine.id)
    assert chained.value.body["code"] == "previous_response_not_found"  # type: ignore[index]
    assert chained.value.body["param"] == "previous_response_id"  # type: ignore[index]
    assert client(gateway).responses.retrieve(mine.id).id == mine.id  # still there for its owner
    assert_ledger_balanced(gateway)


@sqlite_only
def test_a_chained_conversation_sticks_to_the_channel_that_answered_it(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstreams = [make_upstream(), make_upstream()]
    channels = [channel(f"chat{i}", u, secrets=["sk-a", "sk-b"]) for i, u in enumerate(upstreams)]
    gateway = make_gateway(**two_accounts(), channels=channels, prices=[per_token()])
    sdk = client(gateway)
    previous = sdk.responses.create(model="gpt-test", input="turn 0")
    for turn in range(1, 7):
        previous = sdk.responses.create(model="gpt-test", input=f"turn {turn}", previous_response_id=previous.id)
    counts = sorted(len(u.chat_requests()) for u in upstreams)
    assert counts == [0, 7]
    keys = {r.headers["authorization"] for u in upstreams for r in u.chat_requests()}
    assert len(keys) == 1  # and to the same upstream key


@sqlite_only
def test_what_chat_cannot_carry_is_a_400_and_is_not_billed(chat_only: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = chat_only
    with pytest.raises(openai.BadRequestError) as refused:
        client(gateway).responses.create(model="gpt-test", input="news?", tools=[{"type": "web_search"}])
    assert refused.value.body["param"] == "tools[0].type"  # type: ignore[index]
    assert upstream.chat_requests() == []
    with pytest.raises(openai.BadRequestError) as compact:
        client(gateway).post("/responses/compact", body={"model": "gpt-test", "input": "hi"}, cast_to=object)
    assert "responses" in compact.value.message
    assert gateway.logs() == []
    assert_ledger_balanced(gateway)


@sqlite_only
def test_input_tokens_are_counted_by_the_gateway_for_a_chat_only_model(chat_only: tuple[Gateway, Upstream]) -> None:
    gateway, _ = chat_only
    counted = client(gateway).post(
        "/responses/input_tokens", body={"model": "gpt-test", "input": "one two three"}, cast_to=object
    )
    assert counted["object"] == "response.input_tokens" and counted["input_tokens"] > 3  # type: ignore[index]


def test_a_responses_channel_gets_the_request_untouched(native: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = native
    sdk = client(gateway)
    extra = {"context_management": [{"type": "compaction", "compact_threshold": 200000}]}
    tools = [{"type": "web_search", "search_context_size": "low"}, LOOKUP]
    response = sdk.responses.create(
        model="gpt-test",
        input="hello",
        tools=tools,
        tool_choice="none",
        extra_body=extra,  # type: ignore[arg-type]
    )
    sent = responses_requests(upstream)[-1].json
    assert sent == {"model": "gpt-4o-mini", "input": "hello", "tools": tools, "tool_choice": "none", **extra}
    assert upstream.chat_requests() == []
    assert response.output_text and response.usage is not None
    with pytest.raises(openai.BadRequestError) as unknown:  # the upstream's own refusal, relayed
        sdk.responses.create(model="gpt-test", input="hello", extra_body={"frobnicate": 1})
    assert unknown.value.body["param"] == "frobnicate"  # type: ignore[index]
    assert responses_requests(upstream)[-1].json["frobnicate"] == 1
    logs = gateway.logs(status=200)
    assert logs[0]["endpoint"] == "/v1/responses" and logs[0]["prompt_tokens"] == response.usage.input_tokens
    assert_ledger_balanced(gateway)


@sqlite_only
def test_what_only_a_responses_channel_carries_goes_there_when_both_kinds_serve_the_model(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    chat, native = make_upstream(), make_upstream()
    gateway = make_gateway(
        **two_accounts(),
        channels=[channel("chat", chat, priority=10), channel("native", native, options={"responses": True})],
        prices=[per_token()],
    )
    sdk = client(gateway)
    plain = sdk.responses.create(model="gpt-test", input="hello")
    assert plain.output_text == "Hello! You said: hello" and len(chat.chat_requests()) == 1  # priority wins
    searched = sdk.responses.create(model="gpt-test", input="news?", tools=[{"type": "web_search"}])
    assert searched.status == "completed" and responses_requests(native)[-1].json["tools"] == [{"type": "web_search"}]
    assert len(chat.chat_requests()) == 1


def test_a_responses_channel_streams_its_own_events_and_is_billed(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(cached_tokens=2)
    native = channel("native", upstream, options={"responses": True})
    gateway = make_gateway(**two_accounts(), channels=[native], prices=[per_token()])
    events = list(client(gateway).responses.create(model="gpt-test", input="one two", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response  # type: ignore[union-attr]
    assert final.usage is not None and final.usage.input_tokens_details.cached_tokens == 2
    log = gateway.logs()[0]
    assert (log["prompt_tokens"], log["completion_tokens"]) == (final.usage.input_tokens, final.usage.output_tokens)
    assert log["stream"] is True and log["cost"] > 0
    lines = {line["kind"]: line["tokens"] for line in log["usage"]["lines"]}  # each kind billed at its own rate
    assert lines["cache_read"] == 2 and lines["uncached_input"] == final.usage.input_tokens - 2
    assert_ledger_balanced(gateway)


def test_a_cut_pass_through_stream_is_refunded(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(cut_stream_after=1)
    gateway = make_gateway(
        **two_accounts(), channels=[channel("native", upstream, options={"responses": True})], prices=[per_token()]
    )
    events = list(client(gateway).responses.create(model="gpt-test", input="one two three four", stream=True))
    assert events[0].type == "response.created" and events[-1].type == "error"  # the SDK yields it, as OpenAI's
    assert events[-1].code == "upstream_error"  # type: ignore[union-attr]
    log = gateway.logs()[0]
    assert log["cost"] == 0 and log["status"] >= 500
    assert_ledger_balanced(gateway)


def test_a_client_leaving_a_pass_through_stream_pays_for_what_it_got(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(chunk_delay_s=0.2, reply="one two three four five six seven eight nine ten")
    gateway = make_gateway(
        **two_accounts(), channels=[channel("native", upstream, options={"responses": True})], prices=[per_token()]
    )
    stream = client(gateway).responses.create(model="gpt-test", input="count", stream=True)
    for event in stream:
        if event.type == "response.output_text.delta":
            break
    stream.close()
    deadline = time.monotonic() + 10
    while not (logs := gateway.logs()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logs and logs[0]["status"] == 499 and logs[0]["cost"] > 0 and logs[0]["completion_tokens"] >= 1
    assert_ledger_balanced(gateway)


def test_upstream_held_responses_are_asked_of_their_channel(native: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = native
    sdk = client(gateway)
    first = sdk.responses.create(model="gpt-test", input="Price of A-17?", tools=[LOOKUP])  # type: ignore[list-item]
    call = next(item for item in first.output if item.type == "function_call")
    second = sdk.responses.create(
        model="gpt-test",
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": '{"price": 12.5}'}],
        tools=[LOOKUP],  # type: ignore[list-item]
    )
    assert "lookup_sku returned" in second.output_text  # the upstream chained it itself
    assert responses_requests(upstream)[-1].json["previous_response_id"] == first.id
    assert sdk.responses.retrieve(second.id).id == second.id
    assert [i.type for i in sdk.responses.input_items.list(second.id).data] == ["function_call_output"]
    with pytest.raises(openai.NotFoundError):
        client(gateway, OTHER_KEY).responses.retrieve(second.id)
    with pytest.raises(openai.NotFoundError):
        client(gateway, OTHER_KEY).responses.create(model="gpt-test", input="x", previous_response_id=second.id)
    sdk.responses.delete(second.id)
    with pytest.raises(openai.NotFoundError):
        sdk.responses.retrieve(second.id)
    assert [r.method for r in responses_requests(upstream)[-3:]] == ["GET", "GET", "DELETE"]


def test_input_tokens_and_compact_go_to_a_responses_channel(native: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = native
    sdk = client(gateway)
    counted = sdk.post("/responses/input_tokens", body={"model": "gpt-test", "input": "one two"}, cast_to=object)
    assert counted == {"object": "response.input_tokens", "input_tokens": 5}  # the fake's own count
    compacted: Any = sdk.post("/responses/compact", body={"model": "gpt-test", "input": "one two"}, cast_to=object)
    assert compacted["object"] == "response.compaction" and compacted["output"][-1]["type"] == "compaction"
    assert [r.json["model"] for r in responses_requests(upstream)] == ["gpt-4o-mini", "gpt-4o-mini"]
    log = gateway.logs()[0]
    assert log["endpoint"] == "/v1/responses/compact" and log["prompt_tokens"] == compacted["usage"]["input_tokens"]
    assert_ledger_balanced(gateway)


@sqlite_only
def test_stored_responses_expire_after_the_retention(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **two_accounts(),
        channels=[channel("chat", upstream)],
        prices=[per_token()],
        responses={"retention_days": 0.5 / 86400},  # half a second
    )
    sdk = client(gateway)
    made = sdk.responses.create(model="gpt-test", input="short-lived")
    assert sdk.responses.retrieve(made.id).id == made.id
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            sdk.responses.retrieve(made.id)
        except openai.NotFoundError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the response outlived its retention")
    with pytest.raises(openai.NotFoundError):
        sdk.responses.create(model="gpt-test", input="again", previous_response_id=made.id)


@sqlite_only
def test_channel_options_are_checked_per_type_and_listed(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway()
    admin = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    base = {"name": "a", "base_url": "https://api.example.com/v1", "models": ["m"]}
    for options, field in (({"responses": 1}, "options.responses"), ({"turbo": True}, "options.turbo")):
        refused = admin.post("/api/admin/channels", json={**base, "options": options})
        assert refused.status_code == 400 and field in refused.json()["error"]["message"]
    wrong_type = admin.post("/api/admin/channels", json={**base, "type": "anthropic", "options": {"responses": True}})
    assert wrong_type.status_code == 400 and "only openai" in wrong_type.json()["error"]["message"]
    created = gateway.admin_json("POST", "/api/admin/channels", json={**base, "options": {"responses": True}})
    assert created["options"] == {"responses": True}
    listed = gateway.admin_json("GET", "/api/admin/channels")["data"]
    assert [c["options"] for c in listed if c["name"] == "a"] == [{"responses": True}]
    changed = gateway.admin_json("PATCH", f"/api/admin/channels/{created['id']}", json={"options": {}})
    assert changed["options"] == {}


def test_the_cli_sets_and_lists_channel_options(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path, database_url: str
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**two_accounts(), prices=[per_token()])
    cli = Cli(gateway, database_url, tmp_path)
    made = cli.json(
        "channels", "create", "up", upstream.url + "/v1", "--model", "gpt-test", "--option", "responses=true"
    )
    assert made["options"] == {"responses": True}
    assert cli.json("channels", "show", "up")["options"] == {"responses": True}
    assert [c["options"] for c in cli.json("channels", "list") if c["name"] == "up"] == [{"responses": True}]
    assert "responses=true|false" in cli("channels", "update", "up", "--option", "turbo=on", code=1)
    assert "type 'anthropic' do not take it" in cli("channels", "update", "up", "--type", "anthropic", code=1)
    assert cli.json("channels", "update", "up", "--option", "responses=false")["options"] == {"responses": False}


@sqlite_only
def test_a_settings_file_channel_with_an_option_its_type_does_not_take_stops_the_start(
    make_gateway: Callable[..., Gateway], capfd: pytest.CaptureFixture[str]
) -> None:
    claude = {"name": "claude", "type": "anthropic", "base_url": "https://api.anthropic.com", "models": ["m"]}
    with pytest.raises(RuntimeError, match="did not start"):
        make_gateway(channels=[{**claude, "options": {"responses": True}}])
    assert "[[channels]] name = 'claude': options.responses: channels of type 'anthropic'" in capfd.readouterr().err


def test_expired_stored_responses_are_purged(database_url: str) -> None:
    async def run() -> tuple[int, bool, bool]:
        engine = create_engine(database_url)
        await upgrade(engine)
        store = ResponsesStore(engine, retention_days=30, flush_interval_s=0.05)
        try:
            for rid, expires in (("resp_old", now_ms() - 1), ("resp_new", store.expiry(now_ms()))):
                store.keep(
                    StoredResponse(rid, 1, None, now_ms(), expires, "m", None, [], {"id": rid, "status": "completed"})
                )
            await store.flush()
            removed = await store.purge()
            return removed, await store.get("resp_old", 1) is None, await store.get("resp_new", 1) is not None
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == (1, True, True)


def test_a_pass_through_stream_is_cut_at_max_request_s_and_billed_for_what_was_delivered(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(chunk_delay_s=0.05, reply=" ".join(f"w{i}" for i in range(60)))
    gateway = make_gateway(
        **two_accounts(),
        channels=[channel("native", upstream, options={"responses": True})],
        prices=[per_token()],
        relay={"max_request_s": 1.0},
    )
    events = list(client(gateway).responses.create(model="gpt-test", input="count", stream=True))
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert 5 < len(deltas) < 60
    assert events[-1].type == "error" and events[-1].code == "max_request_time"  # type: ignore[union-attr]
    deadline = time.monotonic() + 10
    while not (logs := gateway.logs()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logs and logs[0]["status"] == 504 and "max_request_s" in logs[0]["error"] and logs[0]["cost"] > 0
    assert_ledger_balanced(gateway)
