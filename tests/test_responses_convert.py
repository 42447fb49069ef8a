"""Pure conversions between the Responses API and chat completions (a chat-only upstream behind
``/v1/responses``), checked against JSON fixtures and against the official ``openai`` SDK's own types
and stream accumulator, so what the gateway sends is what the official client can read."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openai import omit
from openai.lib.streaming.responses._responses import ResponseStreamState
from openai.types.responses import Response, ResponseInputItemParam, ResponseItem, ResponseStreamEvent
from pydantic import TypeAdapter

from omnirelay.api.responses.events import ResponsesEvents
from omnirelay.api.responses.from_chat import response_from_chat
from omnirelay.api.responses.to_chat import chat_request_from_responses, input_items, output_as_input
from omnirelay.errors import InvalidRequest
from omnirelay.providers.usage import Usage

FIXTURES = Path(__file__).parent / "fixtures" / "responses"
EVENTS: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
LISTED_ITEMS: TypeAdapter[Any] = TypeAdapter(list[ResponseItem])
INPUT_ITEMS: TypeAdapter[Any] = TypeAdapter(list[ResponseInputItemParam])


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def by_name(name: str) -> Any:
    return pytest.mark.parametrize("case", fixture(name), ids=lambda case: case["name"])


# Responses request -> chat request


@by_name("request_to_chat.json")
def test_responses_requests_become_chat_requests(case: dict[str, Any]) -> None:
    sent, history = copy.deepcopy(case["responses"]), copy.deepcopy(case["history"])
    assert chat_request_from_responses(sent, history) == case["chat"]
    assert (sent, history) == (case["responses"], case["history"]), "the client's body and the history are not mutated"


@by_name("unconvertible.json")
def test_what_a_chat_upstream_cannot_do_is_a_400_naming_the_field(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        chat_request_from_responses(case["responses"], case["history"])
    assert caught.value.status_code == 400
    assert caught.value.param == case["param"]
    assert case["message_contains"] in caught.value.message


def test_a_string_input_is_one_listed_user_message() -> None:
    [item] = input_items({"model": "m", "input": "Hello", "instructions": "Be terse."})
    assert re.fullmatch(r"msg_[0-9a-f]{24}", item["id"])
    assert item == {
        "type": "message",
        "id": item["id"],
        "role": "user",
        "content": [{"type": "input_text", "text": "Hello"}],
    }


def test_input_items_are_listed_in_full_as_the_sdk_reads_them() -> None:
    given = [
        {"role": "user", "content": "Price of A-17?"},
        {"role": "assistant", "content": "Looking."},
        {"type": "message", "id": "msg_kept", "role": "developer", "content": [{"type": "input_text", "text": "EUR"}]},
        {"type": "function_call", "call_id": "call_1", "name": "lookup_sku", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "12.5"},
        {"type": "reasoning", "summary": []},
    ]
    items = input_items({"model": "m", "input": given})
    LISTED_ITEMS.validate_python(items)
    assert [item["id"][: item["id"].index("_")] for item in items] == ["msg", "msg", "msg", "fc", "fco", "rs"]
    assert items[2]["id"] == "msg_kept"
    assert items[1]["content"] == [{"type": "output_text", "text": "Looking.", "annotations": []}]
    assert items[1]["status"] == items[3]["status"] == items[4]["status"] == "completed"
    assert input_items({"model": "m"}) == []


# chat completion -> Response


@by_name("response_from_chat.json")
def test_chat_answers_become_responses(case: dict[str, Any]) -> None:
    index = fixture("response_from_chat.json").index(case)
    response = response_from_chat(
        case["completion"],
        case["request"],
        response_id=f"resp_c{index}",
        created_at=1760000000,
        usage=Usage(**case["usage"]),
        completed_at=1760000002,
    )
    assert response == case["response"]
    parsed = Response.model_validate(response)
    assert parsed.output_text == "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


def test_a_response_output_feeds_the_next_turn() -> None:
    """``previous_response_id``: the stored turn's output, replayed, is the assistant's tool-call message."""
    case = fixture("response_from_chat.json")[1]
    response = response_from_chat(
        case["completion"], case["request"], response_id="resp_t", created_at=1, usage=Usage(1, 1), completed_at=2
    )
    replayed = output_as_input(response)
    INPUT_ITEMS.validate_python(replayed)
    history = [*input_items(case["request"]), *replayed]
    answer = {"type": "function_call_output", "call_id": "call_a", "output": "12.5"}
    chat = chat_request_from_responses({"model": "m", "input": [answer]}, history)
    assert [message["role"] for message in chat["messages"]] == ["user", "assistant", "tool"]
    assistant = chat["messages"][1]
    assert assistant["content"] == "Checking."
    assert [call["id"] for call in assistant["tool_calls"]] == ["call_a", "call_b"]


# chat chunks -> Responses events


def _run(case: dict[str, Any], index: int) -> tuple[list[dict[str, Any]], ResponsesEvents]:
    events = ResponsesEvents(
        case["request"], response_id=f"resp_s{index}", created_at=1760000000, clock=lambda: 1760000005
    )
    out: list[dict[str, Any]] = []
    for chunk in case["chunks"]:
        out += events.feed(chunk)
    if "failed" in case:
        out += events.failed(**case["failed"])
    else:
        out += events.finish(Usage(**case["finish"]["usage"]), case["finish"].get("finish_reason"))
    return out, events


_ITEM_GRAMMAR = re.compile(
    r"A(?:PT*XC|PF*YC)*D|A(?:SR*ZQ)*D|AG*HD"  # a message | a reasoning item | a function call
)
_LETTERS = {
    "response.output_item.added": "A",
    "response.content_part.added": "P",
    "response.output_text.delta": "T",
    "response.output_text.done": "X",
    "response.refusal.delta": "F",
    "response.refusal.done": "Y",
    "response.content_part.done": "C",
    "response.reasoning_summary_part.added": "S",
    "response.reasoning_summary_text.delta": "R",
    "response.reasoning_summary_text.done": "Z",
    "response.reasoning_summary_part.done": "Q",
    "response.function_call_arguments.delta": "G",
    "response.function_call_arguments.done": "H",
    "response.output_item.done": "D",
}


def _assert_grammar(events: list[dict[str, Any]]) -> None:
    """§1.9's order: created, in_progress, whole items one at a time, one terminal event."""
    types = [event["type"] for event in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] in ("response.completed", "response.incomplete", "response.failed")
    assert sum(t in ("response.completed", "response.incomplete", "response.failed") for t in types) == 1
    letters = "".join(_LETTERS[t] for t in types[2:-1])
    if types[-1] == "response.failed":  # the open item is left unfinished
        letters = re.sub(r"A[^AD]*$", "", letters)
    assert re.fullmatch(rf"(?:{_ITEM_GRAMMAR.pattern})*", letters), letters


@by_name("stream_to_events.json")
def test_chat_streams_become_responses_events(case: dict[str, Any]) -> None:
    index = fixture("stream_to_events.json").index(case)
    events, state = _run(case, index)
    assert events == case["events"]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    _assert_grammar(events)
    final = events[-1]["response"]
    assert state.response == final
    if final["status"] != "failed":
        done = [event["item"] for event in events if event["type"] == "response.output_item.done"]
        assert final["output"] == done


@by_name("stream_to_events.json")
def test_the_official_client_accumulates_the_stream(case: dict[str, Any]) -> None:
    """Each event parses as the SDK's event union, and its stream accumulator (which refuses events
    out of order or items that change identity) rebuilds the same final answer."""
    events, _ = _run(case, 0)
    accumulator: ResponseStreamState[Any] = ResponseStreamState(input_tools=omit, text_format=omit)
    seen = [out for event in events for out in accumulator.handle_event(EVENTS.validate_python(event))]
    terminal = seen[-1]
    assert terminal.type == events[-1]["type"]
    assert terminal.response.output_text == Response.model_validate(events[-1]["response"]).output_text
    deltas = "".join(event.delta for event in seen if event.type == "response.output_text.delta")
    assert deltas == terminal.response.output_text


def test_a_stream_ends_once() -> None:
    events = ResponsesEvents({"model": "m"}, response_id="resp_once", created_at=1, clock=lambda: 2)
    assert [e["type"] for e in events.start()] == ["response.created", "response.in_progress"]
    assert events.start() == []
    closing = events.finish(Usage(1, 0))
    assert [e["type"] for e in closing] == ["response.completed"]
    assert events.finish(Usage(1, 0)) == []
    assert events.failed("late", "server_error") == []
    assert events.feed({"choices": [{"index": 0, "delta": {"content": "late"}}]}) == []
    Response.model_validate(events.response)


def test_a_finish_reason_given_at_the_end_makes_the_response_incomplete() -> None:
    events = ResponsesEvents({"model": "m"}, response_id="resp_cut", created_at=1, clock=lambda: 2)
    events.feed({"choices": [{"index": 0, "delta": {"content": "Half"}}]})
    closing = events.finish(Usage(3, 16), finish_reason="length")
    assert [e["type"] for e in closing][-1] == "response.incomplete"
    assert events.response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert events.response["output"][0]["status"] == "incomplete"


def test_an_unknown_error_code_is_reported_as_server_error() -> None:
    events = ResponsesEvents({"model": "m"}, response_id="resp_err", created_at=1)
    [*_, failed] = events.failed("upstream overloaded", "upstream_overloaded")
    assert failed["response"]["error"] == {"code": "server_error", "message": "upstream overloaded"}
    assert failed["response"]["usage"] is None
    EVENTS.validate_python(failed)
