"""Chat completions -> Responses API ``Response`` objects, for models served by chat-only channels.

A chat answer becomes a Response (``llm_surfaces.md`` §1.5, §1.11): an optional ``reasoning`` item
(from a DeepSeek-style ``reasoning_content``, as a summary), one assistant ``message`` item (text,
refusal, citations, logprobs), then one ``function_call`` item per tool call. Every request field
a Responses client reads back is echoed (SDKs and agents such as Codex read ``tools``, ``text``,
``reasoning``...), and ``usage`` is rendered by ``providers/usage.py`` so billing and the client
see the same counts.

Item ids are derived from the response id (``msg_<resp suffix>_<output index>``): unique as long
as response ids are, and the same in the stream and in the stored Response.
The streamed twin (:mod:`omnirelay.api.responses.events`) builds its items with the same helpers.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from omnirelay.providers.openai_compat.transform import reasoning_text
from omnirelay.providers.usage import Usage, as_responses

__all__ = [
    "INCOMPLETE_REASONS",
    "SERVICE_TIERS",
    "call_item",
    "completed",
    "item_id",
    "message_item",
    "reasoning_item",
    "reasoning_text",
    "response_envelope",
    "response_from_chat",
    "text_logprobs",
]

Item = dict[str, Any]

INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}
"""Chat ``finish_reason`` -> Responses ``incomplete_details.reason``; any other reason completes."""

SERVICE_TIERS = frozenset({"default", "flex", "scale", "priority"})
"""The tiers a Response may report (an upstream's own tier names are not echoed: the SDK refuses them)."""

_DEFAULTS: dict[str, Any] = {
    "instructions": None,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "store": True,
    "temperature": 1.0,
    "top_p": 1.0,
    "top_logprobs": 0,
    "tool_choice": "auto",
    "truncation": "disabled",
    "user": None,
    "background": False,
    "prompt_cache_key": None,
    "safety_identifier": None,
}
"""Echoed request fields and the value the Response shows when the request left them out."""


def item_id(prefix: str, response_id: str, index: int) -> str:
    """The id of output item ``index`` of response ``response_id`` (``msg``, ``fc``, ``rs``, ``call``)."""
    return f"{prefix}_{response_id.removeprefix('resp_')}_{index}"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def response_envelope(request: dict[str, Any], *, response_id: str, created_at: int) -> dict[str, Any]:
    """The Response before any output (``status: in_progress``), every request field echoed."""
    echoed = {name: default if request.get(name) is None else request[name] for name, default in _DEFAULTS.items()}
    tier = request.get("service_tier")
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "model": str(request.get("model") or ""),
        "output": [],
        "usage": None,
        **echoed,
        "reasoning": {"effort": None, "summary": None, **_obj(request.get("reasoning"))},
        "text": {"format": {"type": "text"}, **_obj(request.get("text"))},
        "tools": list(request.get("tools") or []),
        "metadata": dict(_obj(request.get("metadata"))),
        "service_tier": "default" if tier in (None, "auto") else tier,
    }


def completed(
    response: dict[str, Any], output: list[Item], finish_reason: Any, usage: Usage, completed_at: int
) -> dict[str, Any]:
    """``response`` finished: its output and usage, ``completed`` or ``incomplete`` per the finish reason."""
    reason = INCOMPLETE_REASONS.get(str(finish_reason))
    return {
        **response,
        "status": "completed" if reason is None else "incomplete",
        "completed_at": completed_at if reason is None else None,
        "incomplete_details": None if reason is None else {"reason": reason},
        "output": output,
        "usage": as_responses(usage),
        "error": None,
    }


def message_item(identifier: str, content: list[Item], status: str) -> Item:
    return {"type": "message", "id": identifier, "status": status, "role": "assistant", "content": content}


def call_item(identifier: str, call_id: str, name: str, arguments: str, status: str) -> Item:
    return {
        "type": "function_call",
        "id": identifier,
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
        "status": status,
    }


def reasoning_item(identifier: str, summary: str | None) -> Item:
    """A reasoning item; the chat upstream's reasoning text is its summary (what clients show)."""
    parts = [] if summary is None else [{"type": "summary_text", "text": summary}]
    return {"type": "reasoning", "id": identifier, "summary": parts}


def _top(entries: Any) -> list[Item]:
    return [
        {"token": str(e.get("token", "")), "bytes": list(e.get("bytes") or []), "logprob": e.get("logprob", 0.0)}
        for e in entries or ()
        if isinstance(e, dict)
    ]


def text_logprobs(logprobs: Any) -> list[Item] | None:
    """Chat's ``choice.logprobs.content`` as an ``output_text`` part's ``logprobs`` (None when absent)."""
    content = _obj(logprobs).get("content")
    if not isinstance(content, list):
        return None
    return [
        {**_top([entry])[0], "top_logprobs": _top(entry.get("top_logprobs"))}
        for entry in content
        if isinstance(entry, dict)
    ]


def _annotations(message: dict[str, Any]) -> list[Item]:
    """Chat ``url_citation`` annotations, flattened as Responses has them."""
    flat: list[Item] = []
    for annotation in message.get("annotations") or ():
        citation = _obj(_obj(annotation).get("url_citation"))
        if _obj(annotation).get("type") == "url_citation" and isinstance(citation.get("url"), str):
            keys = ("url", "title", "start_index", "end_index")
            flat.append({"type": "url_citation", **{k: citation.get(k, "" if k == "title" else 0) for k in keys}})
    return flat


def _content_text(content: Any) -> str:
    if isinstance(content, list):  # a few upstreams answer with parts
        return "".join(str(_obj(part).get("text") or "") for part in content)
    return content if isinstance(content, str) else ""


def _message_parts(message: dict[str, Any], choice: dict[str, Any]) -> list[Item]:
    parts: list[Item] = []
    text = _content_text(message.get("content"))
    if text:
        part: Item = {"type": "output_text", "text": text, "annotations": _annotations(message)}
        logprobs = text_logprobs(choice.get("logprobs"))
        if logprobs is not None:
            part["logprobs"] = logprobs
        parts.append(part)
    if isinstance(message.get("refusal"), str) and message["refusal"]:
        parts.append({"type": "refusal", "refusal": message["refusal"]})
    return parts


def _call(call: dict[str, Any], response_id: str, index: int) -> Item:
    function = _obj(call.get("function"))
    arguments = function.get("arguments")
    given = call.get("id")
    call_id = given if isinstance(given, str) and given else item_id("call", response_id, index)
    text = arguments if isinstance(arguments, str) else orjson.dumps(arguments or {}).decode()
    return call_item(item_id("fc", response_id, index), call_id, str(function.get("name") or ""), text, "completed")


def _output(message: dict[str, Any], choice: dict[str, Any], response_id: str) -> list[Item]:
    output: list[Item] = []
    reasoning = reasoning_text(message)
    if reasoning:
        output.append(reasoning_item(item_id("rs", response_id, 0), reasoning))
    parts = _message_parts(message, choice)
    if parts:
        output.append(message_item(item_id("msg", response_id, len(output)), parts, "completed"))
    calls = [_obj(call) for call in message.get("tool_calls") or () if isinstance(call, dict)]
    output += [_call(call, response_id, len(output) + k) for k, call in enumerate(calls)]
    return output


def response_from_chat(
    completion: dict[str, Any],
    request: dict[str, Any],
    *,
    response_id: str,
    created_at: int,
    usage: Usage,
    completed_at: int | None = None,
) -> dict[str, Any]:
    """The Response for a chat ``completion`` that answered the Responses ``request`` (its first choice).

    ``completed_at`` defaults to now (the answer is whole when it is converted). A
    ``length`` or ``content_filter`` finish makes the Response ``incomplete`` and its last item too."""
    choices = completion.get("choices")
    choice = _obj(choices[0]) if isinstance(choices, list) and choices else {}
    output = _output(_obj(choice.get("message")), choice, response_id)
    finish_reason = choice.get("finish_reason")
    if finish_reason in INCOMPLETE_REASONS and output and "status" in output[-1]:
        output[-1]["status"] = "incomplete"
    response = response_envelope(request, response_id=response_id, created_at=created_at)
    if completion.get("service_tier") in SERVICE_TIERS:
        response["service_tier"] = completion["service_tier"]
    done_at = max(created_at, int(time.time())) if completed_at is None else completed_at
    return completed(response, output, finish_reason, usage, done_at)
