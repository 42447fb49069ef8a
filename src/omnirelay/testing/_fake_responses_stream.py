"""The fake Responses API's ``Response`` object and its stream of events, in the order of the grammar.

``response.created`` [``response.queued``] ``response.in_progress``, then per output item
``output_item.added`` … ``output_item.done`` (message: content part, text deltas, text done,
part done; function call: argument deltas and done; reasoning: per summary part, text deltas and
done), then exactly one of ``response.completed`` / ``response.incomplete`` / ``response.failed``.
Sequence numbers are given by the caller (they start at 0 and grow by one).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson

from omnirelay.testing._fake_responses_answer import ResponsesAnswer

__all__ = ["encode_event", "failed", "finished", "response_object", "stream_events", "word_pieces"]

_TERMINAL = {"completed": "response.completed", "incomplete": "response.incomplete", "failed": "response.failed"}


def _tool_echo(tool: Any) -> Any:
    if isinstance(tool, dict) and tool.get("type") == "function":
        return {"type": "function", "description": None, "parameters": None, "strict": True, **tool}
    return tool


def _text_echo(body: dict[str, Any]) -> dict[str, Any]:
    text = body.get("text") if isinstance(body.get("text"), dict) else {}
    return {"format": {"type": "text"}, "verbosity": "medium", **(text or {})}


def _tier(body: dict[str, Any]) -> str:
    tier = body.get("service_tier")
    return {None: "default", "auto": "default", "fast": "priority"}.get(tier, str(tier))


def response_object(body: dict[str, Any], response_id: str, status: str = "in_progress") -> dict[str, Any]:
    """The response as created: the request's settings echoed, no output, no usage."""
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    echoed: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": int(time.time()),
        "status": status,
        "background": body.get("background") is True,
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "max_tool_calls": body.get("max_tool_calls"),
        "model": body["model"],
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "prompt_cache_key": body.get("prompt_cache_key"),
        "reasoning": {"effort": (reasoning or {}).get("effort"), "summary": (reasoning or {}).get("summary")},
        "safety_identifier": body.get("safety_identifier"),
        "service_tier": _tier(body),
        "store": body.get("store") is not False,
        "temperature": 1.0 if body.get("temperature") is None else body["temperature"],
        "text": _text_echo(body),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": [_tool_echo(t) for t in body.get("tools") or ()],
        "top_logprobs": body.get("top_logprobs") or 0,
        "top_p": 1.0 if body.get("top_p") is None else body["top_p"],
        "truncation": body.get("truncation") or "disabled",
        "usage": None,
        "user": body.get("user"),
        "metadata": body.get("metadata") or {},
    }
    if body.get("conversation"):
        conversation = body["conversation"]
        echoed["conversation"] = conversation if isinstance(conversation, dict) else {"id": conversation}
    return echoed


def finished(created: dict[str, Any], answer: ResponsesAnswer, usage: dict[str, Any] | None) -> dict[str, Any]:
    """The response once the answer is complete (or incomplete)."""
    done = {**created, "status": answer.status, "output": answer.output, "usage": usage}
    if answer.status == "completed":
        done["completed_at"] = int(time.time())
    else:
        done["incomplete_details"] = {"reason": answer.incomplete_reason}
    return done


def failed(created: dict[str, Any], output: list[dict[str, Any]], message: str) -> dict[str, Any]:
    """The response of a generation that failed after it started."""
    error = {"code": "server_error", "message": message}
    return {**created, "status": "failed", "error": error, "output": output, "usage": None}


def word_pieces(text: str, count: int | None) -> list[str]:
    """``text`` in word-sized deltas (or ``count`` roughly equal ones); joined they give ``text`` back."""
    words = text.split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    if count is None or count >= len(pieces):
        return [p for p in pieces if p] or [text]
    size = -(-len(pieces) // max(1, count))
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def _opened(item: dict[str, Any]) -> dict[str, Any]:
    if item["type"] == "message":
        return {**item, "status": "in_progress", "content": []}
    if item["type"] == "function_call":
        return {**item, "status": "in_progress", "arguments": ""}
    return {"type": item["type"], "id": item["id"], "summary": []}


def _message_events(item: dict[str, Any], where: dict[str, Any], chunks: int | None) -> Iterator[dict[str, Any]]:
    for index, part in enumerate(item["content"]):
        at = {**where, "content_index": index}
        yield {"type": "response.content_part.added", **at, "part": {**part, "text": ""}}
        for piece in word_pieces(part["text"], chunks) if part["text"] else ():
            yield {"type": "response.output_text.delta", **at, "delta": piece, "logprobs": []}
        yield {"type": "response.output_text.done", **at, "text": part["text"], "logprobs": []}
        yield {"type": "response.content_part.done", **at, "part": part}


def _call_events(item: dict[str, Any], where: dict[str, Any]) -> Iterator[dict[str, Any]]:
    arguments = item["arguments"]
    for start in range(0, len(arguments), 8):
        yield {"type": "response.function_call_arguments.delta", **where, "delta": arguments[start : start + 8]}
    yield {"type": "response.function_call_arguments.done", **where, "name": item["name"], "arguments": arguments}


def _reasoning_events(item: dict[str, Any], where: dict[str, Any], chunks: int | None) -> Iterator[dict[str, Any]]:
    for index, part in enumerate(item["summary"]):
        at = {**where, "summary_index": index}
        yield {"type": "response.reasoning_summary_part.added", **at, "part": {**part, "text": ""}}
        for piece in word_pieces(part["text"], chunks):
            yield {"type": "response.reasoning_summary_text.delta", **at, "delta": piece}
        yield {"type": "response.reasoning_summary_text.done", **at, "text": part["text"]}
        yield {"type": "response.reasoning_summary_part.done", **at, "part": part}


def _item_events(index: int, item: dict[str, Any], chunks: int | None) -> Iterator[dict[str, Any]]:
    yield {"type": "response.output_item.added", "output_index": index, "item": _opened(item)}
    where = {"item_id": item["id"], "output_index": index}
    if item["type"] == "message":
        yield from _message_events(item, where, chunks)
    elif item["type"] == "function_call":
        yield from _call_events(item, where)
    elif item["type"] == "reasoning":
        yield from _reasoning_events(item, where, chunks)
    yield {"type": "response.output_item.done", "output_index": index, "item": item}


def stream_events(created: dict[str, Any], final: dict[str, Any], chunks: int | None) -> Iterator[dict[str, Any]]:
    """Every event of one response, without ``sequence_number``."""
    yield {"type": "response.created", "response": created}
    if created["status"] == "queued":
        yield {"type": "response.queued", "response": created}
    yield {"type": "response.in_progress", "response": {**created, "status": "in_progress"}}
    for index, item in enumerate(final["output"]):
        yield from _item_events(index, item, chunks)
    yield {"type": _TERMINAL[final["status"]], "response": final}


def encode_event(event: dict[str, Any]) -> bytes:
    """One SSE event: ``event:`` line, ``data:`` line, blank line."""
    return b"event: " + str(event["type"]).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
