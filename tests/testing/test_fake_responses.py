"""The fake OpenAI Responses API behaves like the real one for the official SDK, and its knobs do what they say."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread

TOOL: Any = {
    "type": "function",
    "name": "lookup_sku",
    "description": "Find a product",
    "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]},
}
Fake = tuple[FakeOpenAI, openai.OpenAI, str]


@pytest.fixture
def fake() -> Iterator[Fake]:
    upstream = FakeOpenAI(FakeOpenAIKnobs(api_key="sk-up"))
    with serve_in_thread(upstream.app) as url:
        yield upstream, openai.OpenAI(base_url=url + "/v1", api_key="sk-up", max_retries=0), url


def _events(url: str, body: dict[str, Any], path: str = "/v1/responses", method: str = "POST") -> list[dict[str, Any]]:
    """The SSE events of one stream, checking the framing: ``event:`` equals the data's ``type``."""
    headers = {"authorization": "Bearer sk-up"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        with client.stream(method, path, json=body if method == "POST" else None) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            raw = response.read().decode()
    assert "[DONE]" not in raw and raw.endswith("\n\n")
    events = []
    for block in raw.strip().split("\n\n"):
        name_line, data_line = block.split("\n")
        event = json.loads(data_line.removeprefix("data: "))
        assert name_line == "event: " + event["type"]
        events.append(event)
    return events


def test_text_answer_usage_and_echoed_settings(fake: Fake) -> None:
    _, client, _ = fake
    answer = client.responses.create(
        model="gpt-test", input="one two", instructions="Be terse.", metadata={"k": "v"}, temperature=0.2
    )
    assert answer.output_text == "Hello! You said: one two"
    assert answer.status == "completed" and answer.completed_at is not None and answer.id.startswith("resp_")
    assert (answer.instructions, answer.metadata, answer.temperature, answer.store) == (
        "Be terse.",
        {"k": "v"},
        0.2,
        True,
    )
    assert answer.usage is not None
    assert (answer.usage.input_tokens, answer.usage.output_tokens, answer.usage.total_tokens) == (10, 5, 15)
    assert answer.usage.input_tokens_details.cached_tokens == 0
    message = answer.output[0]
    assert message.type == "message" and message.id.startswith("msg_") and message.status == "completed"


def test_text_stream_emits_the_grammar_with_contiguous_sequence_numbers(fake: Fake) -> None:
    upstream, _, url = fake
    upstream.knobs.chunks = 2
    events = _events(url, {"model": "gpt-test", "input": "a b c d", "stream": True})
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    created, added, final = events[0]["response"], events[2]["item"], events[-1]["response"]
    assert (created["status"], created["output"], created["usage"]) == ("in_progress", [], None)
    assert added["status"] == "in_progress" and added["content"] == []
    assert "".join(e["delta"] for e in events if e["type"].endswith(".delta")) == "Hello! You said: a b c d"
    assert events[6]["text"] == "Hello! You said: a b c d"
    assert final["output"][0] == events[8]["item"] and final["usage"]["output_tokens"] == 7


def test_reasoning_and_tool_call_stream_through_the_sdk(fake: Fake) -> None:
    upstream, client, _ = fake
    upstream.knobs.reasoning_tokens, upstream.knobs.cached_tokens, upstream.knobs.cache_write_tokens = 22, 6, 2
    with client.responses.stream(
        model="gpt-5.4", input="Price of A-17?", tools=[TOOL], reasoning={"effort": "low", "summary": "auto"}
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
    ]
    summary_end = kinds.index("response.reasoning_summary_part.done")
    assert set(kinds[4 : summary_end - 1]) == {"response.reasoning_summary_text.delta"}
    assert kinds[summary_end - 1 : summary_end + 3] == [
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
    ]
    assert kinds[-4:] == [
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    reasoning, call = final.output
    assert reasoning.type == "reasoning" and reasoning.summary[0].text == "Thinking about: Price of A-17?"
    assert reasoning.encrypted_content and reasoning.id.startswith("rs_")
    assert call.type == "function_call" and call.call_id.startswith("call_") and call.id and call.id.startswith("fc_")
    assert (call.name, json.loads(call.arguments)) == ("lookup_sku", {"sku": "test"})
    assert final.usage is not None
    assert final.usage.output_tokens_details.reasoning_tokens == 22 and final.usage.output_tokens == 22 + 2
    assert (final.usage.input_tokens_details.cached_tokens, final.usage.input_tokens_details.cache_write_tokens) == (
        6,
        2,
    )


def test_function_call_round_trip_by_previous_response_and_by_client_state(fake: Fake) -> None:
    _, client, _ = fake
    first = client.responses.create(model="gpt-5.4", input="Price of A-17?", tools=[TOOL])
    call = first.output[-1]
    assert call.type == "function_call"
    output = {"type": "function_call_output", "call_id": call.call_id, "output": '{"price": 12.5}'}
    chained = client.responses.create(model="gpt-5.4", tools=[TOOL], previous_response_id=first.id, input=[output])
    assert chained.output_text == 'lookup_sku returned: {"price": 12.5}'
    assert chained.previous_response_id == first.id
    replayed = [
        {"role": "user", "content": "Price of A-17?"},
        *[i.model_dump(exclude_none=True) for i in first.output],
        output,
    ]
    stateless = client.responses.create(model="gpt-5.4", tools=[TOOL], store=False, input=replayed)  # type: ignore[arg-type]
    assert stateless.output_text == chained.output_text
    replayed[1] = {**replayed[1], "encrypted_content": "gAAAAAedited"}
    with pytest.raises(openai.BadRequestError, match="could not be verified"):
        client.responses.create(model="gpt-5.4", tools=[TOOL], store=False, input=replayed)  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError, match="No tool call found for function call output with call_id x"):
        client.responses.create(model="gpt-5.4", input=[{**output, "call_id": "x"}])  # type: ignore[list-item]
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(stateless.id)


def test_tool_choice_rules(fake: Fake) -> None:
    _, client, _ = fake
    other: Any = {**TOOL, "name": "other", "parameters": {"type": "object", "properties": {}}}
    assert client.responses.create(model="gpt-test", input="x", tools=[TOOL], tool_choice="none").output_text
    named = client.responses.create(
        model="gpt-test", input="x", tools=[TOOL, other], tool_choice={"type": "function", "name": "other"}
    )
    assert named.output[0].type == "function_call" and named.output[0].name == "other"
    assert named.output[0].arguments == "{}"


def test_previous_response_id_chains_history_and_store_false_is_forgotten(fake: Fake) -> None:
    _, client, _ = fake
    first = client.responses.create(model="gpt-test", input="one two")
    second = client.responses.create(model="gpt-test", input="three", previous_response_id=first.id)
    assert second.usage is not None and first.usage is not None
    # history: "one two" (2+3) + the reply "Hello! You said: one two" (5+3) + "three" (1+3)
    assert second.usage.input_tokens == 5 + 8 + 4
    assert (
        client.responses.input_tokens.count(model="gpt-test", input="three", previous_response_id=first.id).input_tokens
        == 17
    )
    with pytest.raises(openai.BadRequestError) as unknown:
        client.responses.create(model="gpt-test", input="x", previous_response_id="resp_nope")
    assert unknown.value.body["param"] == "previous_response_id"  # type: ignore[index]
    forgotten = client.responses.create(model="gpt-test", input="x", store=False)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-test", input="y", previous_response_id=forgotten.id)


def test_retrieve_delete_and_input_items(fake: Fake) -> None:
    _, client, _ = fake
    items: Any = [{"role": "user", "content": f"m{i}"} for i in range(5)]
    created = client.responses.create(model="gpt-test", input=items)
    assert client.responses.retrieve(created.id).output_text == created.output_text
    listed: Any = client.responses.input_items.list(created.id)
    assert [item.content[0].text for item in listed.data] == ["m4", "m3", "m2", "m1", "m0"]
    assert listed.data[0].id.startswith("msg_") and listed.first_id == listed.data[0].id
    page: Any = client.responses.input_items.list(created.id, order="asc", limit=2)
    assert [item.content[0].text for item in page.data] == ["m0", "m1"] and page.has_more
    rest: Any = client.responses.input_items.list(created.id, order="asc", limit=10, after=page.last_id)
    assert [item.content[0].text for item in rest.data] == ["m2", "m3", "m4"] and not rest.has_more
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError, match=f"Response with id '{created.id}' not found"):
        client.responses.retrieve(created.id)


def test_input_tokens_and_compact(fake: Fake) -> None:
    _, client, _ = fake
    counted = client.responses.input_tokens.count(model="gpt-test", input="a b c", instructions="Be terse.")
    assert (counted.object, counted.input_tokens) == ("response.input_tokens", 6 + 5)
    first = client.responses.create(model="gpt-test", input="Build a page.")
    compacted = client.responses.compact(model="gpt-test", previous_response_id=first.id)
    assert compacted.object == "response.compaction"
    user, compaction = compacted.output
    assert user.type == "message" and user.role == "user"
    assert compaction.type == "compaction" and compaction.id.startswith("cmp_") and compaction.encrypted_content
    assert compacted.usage.output_tokens == len(first.output_text.split())
    with pytest.raises(openai.BadRequestError, match="Unknown parameter: 'tools'"):
        client.responses.compact(model="gpt-test", input="x", extra_body={"tools": []})


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"model": "m", "messages": [{"role": "user", "content": "x"}]}, "messages", "Unknown parameter"),
        ({"model": "m", "input": "x", "max_tokens": 20}, "max_tokens", "Unknown parameter"),
        (
            {"model": "m", "input": "x", "tools": [{"type": "function", "function": {"name": "f"}}]},
            "tools[0].name",
            "Missing",
        ),
        (
            {"model": "m", "input": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]},
            "input[0].content[0].type",
            "Invalid value: 'text'",
        ),
        ({"model": "m", "input": [{"type": "mystery"}]}, "input[0].type", "Invalid value: 'mystery'"),
        ({"model": "m", "input": "x", "max_output_tokens": 5}, "max_output_tokens", "below minimum"),
        ({"input": "x"}, "model", "Missing required parameter"),
    ],
)
def test_what_the_real_api_refuses(fake: Fake, body: dict[str, Any], param: str, message: str) -> None:
    _, _, url = fake
    response = httpx.post(url + "/v1/responses", json=body, headers={"authorization": "Bearer sk-up"})
    error = response.json()["error"]
    assert response.status_code == 400 and error["type"] == "invalid_request_error"
    assert error["param"] == param and message in error["message"]


def test_truncation_incomplete_and_failed_streams(fake: Fake) -> None:
    upstream, client, url = fake
    upstream.knobs.reply = " ".join(f"w{i}" for i in range(30))
    short = client.responses.create(model="gpt-test", input="x", max_output_tokens=16)
    assert (short.status, short.incomplete_details.reason) == ("incomplete", "max_output_tokens")  # type: ignore[union-attr]
    assert short.output[0].status == "incomplete" and len(short.output_text.split()) == 16  # type: ignore[union-attr]
    events = _events(url, {"model": "gpt-test", "input": "x", "stream": True, "max_output_tokens": 16})
    assert events[-1]["type"] == "response.incomplete" and events[-1]["response"]["incomplete_details"] == {
        "reason": "max_output_tokens"
    }
    upstream.knobs.reply, upstream.knobs.fail_stream_after = "a b c", 1
    failed = _events(url, {"model": "gpt-test", "input": "x", "stream": True})
    assert [e["type"] for e in failed][-3:] == [
        "response.content_part.added",
        "response.output_text.delta",
        "response.failed",
    ]
    assert failed[-1]["response"]["error"] == {"code": "server_error", "message": "fake upstream error"}
    assert failed[-1]["response"]["usage"] is None
    assert [e["sequence_number"] for e in failed] == list(range(len(failed)))


def test_fault_knobs(fake: Fake) -> None:
    upstream, client, url = fake
    upstream.knobs.status, upstream.knobs.fail_times = 503, 1
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-test", input="x")
    assert client.responses.create(model="gpt-test", input="x").status == "completed"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url + "/v1", api_key="sk-wrong", max_retries=0).responses.create(model="m", input="x")
    upstream.knobs.include_usage = False
    assert client.responses.create(model="gpt-test", input="x").usage is None
    upstream.knobs.cut_stream_after = 1
    with pytest.raises(httpx.RemoteProtocolError):
        _events(url, {"model": "gpt-test", "input": "a b c", "stream": True})
    upstream.knobs.cut_stream_after, upstream.knobs.reset_before_first_chunk = None, True
    with pytest.raises(httpx.RemoteProtocolError):
        _events(url, {"model": "gpt-test", "input": "a b c", "stream": True})
    upstream.knobs.reset_before_first_chunk, upstream.knobs.latency_s = False, 0.2
    started = time.monotonic()
    client.responses.create(model="gpt-test", input="x")
    assert time.monotonic() - started >= 0.2


def test_background_cancel_and_resumed_stream(fake: Fake) -> None:
    upstream, client, url = fake
    upstream.knobs.latency_s = 30
    queued = client.responses.create(model="gpt-test", input="x", background=True)
    assert queued.status == "queued" and queued.background
    assert client.responses.retrieve(queued.id).status == "in_progress"
    cancelled = client.responses.cancel(queued.id)
    assert (cancelled.status, cancelled.usage) == ("cancelled", None)
    upstream.knobs.latency_s = 0
    done = client.responses.create(model="gpt-test", input="a b", background=True)
    deadline = time.monotonic() + 5
    while client.responses.retrieve(done.id).status != "completed" and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(openai.BadRequestError, match="status 'completed'"):
        client.responses.cancel(done.id)
    resumed = _events(url, {}, f"/v1/responses/{done.id}?stream=true&starting_after=3", "GET")
    assert resumed[0]["sequence_number"] == 4 and resumed[-1]["type"] == "response.completed"
    plain = client.responses.create(model="gpt-test", input="x")
    with pytest.raises(openai.BadRequestError, match="background=true"):
        client.responses.cancel(plain.id)
