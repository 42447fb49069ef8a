"""Pure conversion of a Gemini ``GenerateContentResponse`` into an OpenAI chat completion (§2.9).

- ``candidates[i]`` -> ``choices[i]``; text parts -> ``content``; ``thought: true`` parts ->
  ``reasoning_content`` (the non-standard field DeepSeek and others use).
- ``functionCall`` parts -> ``tool_calls``: the call's own ``id`` when Gemini sent one, else
  ``call_`` + a digest of (``responseId``, candidate, call number), so a streamed and a plain
  answer name their calls alike and a retried conversion gives the same ids.
- Thought signatures ride in ``extra_content.google.thought_signature`` (the field Google's own
  OpenAI-compatible endpoint uses; the ``openai`` SDK keeps unknown fields, so
  ``message.model_dump()`` replays it): on the tool call whose part carried it, or on the
  message for a signature on a text, thought or empty part. ``request.py`` puts each back.
- ``finishReason`` (§2.8): ``STOP`` is ``tool_calls`` when the candidate called a function,
  ``MAX_TOKENS`` ``length``, the blocking reasons ``content_filter``, anything else ``stop``.
- A prompt Gemini blocked (``promptFeedback.blockReason``, no candidates) is answered with HTTP
  200, one empty choice and ``finish_reason: "content_filter"`` (what OpenAI does for a filtered
  answer), billed at the usage Gemini reports.
- Usage: :func:`~omnirelay.providers.usage.from_gemini` rendered by ``as_openai_chat``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.providers.usage import Usage, as_openai_chat, from_gemini

__all__ = [
    "CandidateParts",
    "completion_id",
    "openai_completion_from_gemini",
    "openai_finish_reason",
    "read_parts",
    "signature_carrier",
    "tool_call_id",
]

_FILTERED = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT"}
)


def openai_finish_reason(reason: Any, called: bool) -> str:
    if reason == "MAX_TOKENS":
        return "length"
    if reason in _FILTERED:
        return "content_filter"
    return "tool_calls" if called else "stop"


def tool_call_id(response_id: str | None, candidate: int, ordinal: int, given: Any) -> str:
    """The OpenAI id of a candidate's ``ordinal``-th call (stable for one response; random without an id)."""
    if isinstance(given, str) and given:
        return given
    if not response_id:
        return "call_" + secrets.token_hex(12)
    digest = hashlib.sha256(f"{response_id}\0{candidate}\0{ordinal}".encode()).hexdigest()
    return "call_" + digest[:24]


def completion_id(response_id: Any) -> str:
    return "chatcmpl-" + (str(response_id) if response_id else secrets.token_hex(12))


def signature_carrier(signature: str) -> dict[str, Any]:
    return {"google": {"thought_signature": signature}}


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(slots=True)
class CandidateParts:
    """What one candidate's parts (or one fragment's) say, in the order they came."""

    text: str = ""
    thoughts: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    """``{"name", "args", "id"?, "signature"?}`` per ``functionCall`` part."""
    signature: str | None = None
    """The last signature found on a part that is not a function call."""


def read_parts(parts: Any) -> CandidateParts:
    read = CandidateParts()
    texts: list[str] = []
    thoughts: list[str] = []
    for part in parts if isinstance(parts, list) else ():
        if not isinstance(part, dict):
            continue
        signature = part.get("thoughtSignature")
        signature = signature if isinstance(signature, str) and signature else None
        call = part.get("functionCall")
        if isinstance(call, dict):
            read.calls.append(
                {"name": call.get("name"), "args": call.get("args"), "id": call.get("id"), "signature": signature}
            )
            continue
        if isinstance(part.get("text"), str):
            (thoughts if part.get("thought") is True else texts).append(part["text"])
        if signature is not None:
            read.signature = signature
    read.text, read.thoughts = "".join(texts), "".join(thoughts)
    return read


def openai_tool_call(call: dict[str, Any], call_id: str) -> dict[str, Any]:
    function = {"name": str(call.get("name") or ""), "arguments": orjson.dumps(call.get("args") or {}).decode()}
    converted: dict[str, Any] = {"id": call_id, "type": "function", "function": function}
    if call.get("signature"):
        converted["extra_content"] = signature_carrier(call["signature"])
    return converted


def _choice(candidate: dict[str, Any], position: int, response_id: str | None) -> dict[str, Any]:
    index: int = candidate["index"] if isinstance(candidate.get("index"), int) else position
    read = read_parts(_object(candidate.get("content")).get("parts"))
    calls = [openai_tool_call(c, tool_call_id(response_id, index, n, c.get("id"))) for n, c in enumerate(read.calls)]
    message: dict[str, Any] = {"role": "assistant", "content": read.text if read.text or not calls else None}
    if read.thoughts:
        message["reasoning_content"] = read.thoughts
    if calls:
        message["tool_calls"] = calls
    if read.signature is not None:
        message["extra_content"] = signature_carrier(read.signature)
    finish = openai_finish_reason(candidate.get("finishReason"), bool(calls))
    return {"index": index, "message": message, "logprobs": None, "finish_reason": finish}


def _choices(response: dict[str, Any]) -> list[dict[str, Any]]:
    response_id = str(response["responseId"]) if response.get("responseId") else None
    candidates = [c for c in response.get("candidates") or () if isinstance(c, dict)]
    if candidates:
        return [_choice(c, i, response_id) for i, c in enumerate(candidates)]
    blocked = _object(response.get("promptFeedback")).get("blockReason")
    empty = {"role": "assistant", "content": ""}
    return [{"index": 0, "message": empty, "logprobs": None, "finish_reason": "content_filter" if blocked else "stop"}]


def openai_completion_from_gemini(
    response: dict[str, Any], *, model: str, created: int
) -> tuple[dict[str, Any], Usage | None]:
    """The chat completion for a Gemini answer, and its usage read with Gemini's semantics."""
    usage = from_gemini(response.get("usageMetadata"))
    completion: dict[str, Any] = {
        "id": completion_id(response.get("responseId")),
        "object": "chat.completion",
        "created": created,
        "model": str(response.get("modelVersion") or model),
        "choices": _choices(response),
    }
    if usage is not None:
        completion["usage"] = as_openai_chat(usage)
    return completion, usage
