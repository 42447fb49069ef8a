"""Pure conversion of an OpenAI chat completion into a Gemini ``GenerateContentResponse`` (§2.9).

- ``choices[i]`` -> ``candidates[i]``: ``reasoning_content`` -> a ``thought: true`` part (only when
  the client asked for ``includeThoughts``), ``content`` -> a text part, ``tool_calls`` ->
  ``functionCall`` parts carrying the upstream's call id (``id``), so the client's
  ``functionResponse`` can name it back.
- ``finish_reason`` -> ``finishReason`` (§2.8): ``stop`` and ``tool_calls`` ``STOP`` (Gemini has
  no tool-call reason), ``length`` ``MAX_TOKENS``, ``content_filter`` ``SAFETY``, others ``OTHER``.
- ``usage`` -> ``usageMetadata`` (``as_gemini``: thoughts counted apart from the candidates).
- ``modelVersion`` is the model the client asked for; ``responseId`` the completion's id without
  its ``chatcmpl-`` prefix.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.providers.usage import Usage, as_gemini

__all__ = ["call_part", "candidate_parts", "finish_reason", "generate_response", "response_id"]

JSONObject = dict[str, Any]
_FINISH = {
    "stop": "STOP",
    "tool_calls": "STOP",
    "function_call": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
}


def finish_reason(reason: Any) -> str:
    return "STOP" if reason is None else _FINISH.get(str(reason), "OTHER")


def response_id(completion_id: Any) -> str:
    return str(completion_id or "").removeprefix("chatcmpl-")


def call_part(call_id: Any, name: Any, arguments: Any) -> JSONObject:
    """A ``functionCall`` part; arguments that are not a JSON object are kept under ``value``."""
    try:
        args = orjson.loads(arguments) if isinstance(arguments, str) and arguments.strip() else {}
    except orjson.JSONDecodeError:
        args = {"value": arguments}
    call: JSONObject = {"name": str(name or ""), "args": args if isinstance(args, dict) else {"value": args}}
    if call_id:
        call = {"id": str(call_id), **call}
    return {"functionCall": call}


def candidate_parts(message: Any, thoughts: bool) -> list[JSONObject]:
    """The parts of one choice's message (or one chunk's delta, without its tool calls)."""
    if not isinstance(message, dict):
        return []
    parts: list[JSONObject] = []
    reasoning = message.get("reasoning_content")
    if thoughts and isinstance(reasoning, str) and reasoning:
        parts.append({"text": reasoning, "thought": True})
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(str(p.get("text") or "") for p in content if isinstance(p, dict))
    if isinstance(content, str) and content:
        parts.append({"text": content})
    return parts


def _candidate(choice: JSONObject, position: int, thoughts: bool) -> JSONObject:
    message = choice.get("message")
    parts = candidate_parts(message, thoughts)
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    for call in calls if isinstance(calls, list) else ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            parts.append(call_part(call.get("id"), function.get("name"), function.get("arguments")))
    index = choice.get("index")
    return {
        "content": {"role": "model", "parts": parts},
        "finishReason": finish_reason(choice.get("finish_reason")),
        "index": index if isinstance(index, int) else position,
    }


def generate_response(completion: Any, usage: Usage, *, model: str, thoughts: bool) -> JSONObject:
    """The Gemini answer for a chat completion, billed as ``usage``."""
    body = completion if isinstance(completion, dict) else {}
    choices = body.get("choices")
    candidates = [
        _candidate(choice, i, thoughts)
        for i, choice in enumerate(choices if isinstance(choices, list) else ())
        if isinstance(choice, dict)
    ]
    return {
        "candidates": candidates,
        "usageMetadata": as_gemini(usage),
        "modelVersion": model,
        "responseId": response_id(body.get("id")),
    }
