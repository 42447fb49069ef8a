"""What the fake Responses API answers: output items (reasoning, a function call or a message) and usage.

The rules mirror the chat fake. A function tool is called when ``tools`` holds one and
``tool_choice`` is not ``"none"`` (``{"type": "function", "name": …}`` or ``allowed_tools`` pick
which), except that under ``"auto"`` a history ending with a ``function_call_output`` is answered
in text (``<name> returned: <output>``), so a tool round trip ends. A reasoning model (a
``reasoning`` with an effort other than ``"none"``, or a ``gpt-5*`` / ``o1`` / ``o3`` / ``o4`` model)
first emits a reasoning item, with a summary when ``reasoning.summary`` is set.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from omnirelay.testing._fake_responses_input import encrypted_for, item_text

if TYPE_CHECKING:
    from omnirelay.testing.fake_openai import FakeOpenAIKnobs

__all__ = ["ResponsesAnswer", "build_output", "responses_usage"]

_REASONING_MODELS = ("o1", "o3", "o4", "gpt-5")


@dataclass(frozen=True)
class ResponsesAnswer:
    output: list[dict[str, Any]]
    status: str
    incomplete_reason: str | None
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int


def _reasons(body: dict[str, Any]) -> bool:
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if effort is not None:
        return bool(effort != "none")
    return str(body.get("model", "")).startswith(_REASONING_MODELS)


def _allowed(choice: dict[str, Any], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {t.get("name") for t in choice.get("tools") or () if isinstance(t, dict)}
    return [t for t in tools if t.get("name") in names]


def _tool_to_call(body: dict[str, Any], answered: dict[str, Any] | None) -> dict[str, Any] | None:
    tools = [t for t in body.get("tools") or () if isinstance(t, dict) and t.get("type") == "function"]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict) and choice.get("type") == "function":
        return next((t for t in tools if t.get("name") == choice.get("name")), None)
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        allowed = _allowed(choice, tools)
        forced = choice.get("mode") == "required"
        return allowed[0] if allowed and (forced or answered is None) else None
    if choice == "required":
        return tools[0]
    return tools[0] if choice == "auto" and answered is None else None


def _arguments(tool: dict[str, Any]) -> str:
    parameters = tool.get("parameters") if isinstance(tool.get("parameters"), dict) else {}
    required = (parameters or {}).get("required") or []
    arguments = orjson.dumps({str(name): "test" for name in required}).decode()
    return arguments.replace('":"', '": "').replace('","', '", "')


def _last_user_text(history: list[dict[str, Any]]) -> str:
    users = (i for i in reversed(history) if i.get("type") == "message" and i.get("role") == "user")
    return item_text(next(users, {}))


def _reply(
    body: dict[str, Any], history: list[dict[str, Any]], answered: dict[str, Any] | None, reply: str | None
) -> str:
    if reply is not None:
        text = reply
    elif answered is not None:
        text = f"{answered['name']} returned: {item_text(history[-1])}"
    else:
        text = f"Hello! You said: {_last_user_text(history)}"
    format_ = (body.get("text") or {}).get("format") if isinstance(body.get("text"), dict) else None
    if isinstance(format_, dict) and format_.get("type") in ("json_object", "json_schema"):
        return orjson.dumps({"reply": text}).decode()
    return text


def _thought(history: list[dict[str, Any]]) -> str:
    return f"Thinking about: {_last_user_text(history) or 'the conversation'}"


def _reasoning_item(body: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    item_id = "rs_" + secrets.token_hex(12)
    thought = _thought(history)
    summarise = (body.get("reasoning") or {}).get("summary") in ("auto", "concise", "detailed")
    summary = [{"type": "summary_text", "text": thought}] if summarise else []
    texts = [thought] if summarise else []
    return {"type": "reasoning", "id": item_id, "summary": summary, "encrypted_content": encrypted_for(item_id, texts)}


def _call_item(tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "function_call",
        "id": "fc_" + secrets.token_hex(12),
        "call_id": "call_" + secrets.token_hex(8),
        "name": str(tool["name"]),
        "arguments": _arguments(tool),
        "status": "completed",
    }


def _message_item(text: str, status: str) -> dict[str, Any]:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {
        "type": "message",
        "id": "msg_" + secrets.token_hex(12),
        "status": status,
        "role": "assistant",
        "content": [part],
    }


def _thinking_tokens(body: dict[str, Any], history: list[dict[str, Any]], knobs: FakeOpenAIKnobs) -> int:
    if not _reasons(body):
        return 0
    if knobs.reasoning_tokens is not None:
        return knobs.reasoning_tokens
    return len(_thought(history).split())


def build_output(
    body: dict[str, Any],
    history: list[dict[str, Any]],
    answered: dict[str, Any] | None,
    counted_input: int,
    knobs: FakeOpenAIKnobs,
) -> ResponsesAnswer:
    """The answer to a valid create request, from the effective ``history`` (chain + input)."""
    reasoning = _thinking_tokens(body, history, knobs)
    output = [_reasoning_item(body, history)] if _reasons(body) else []
    tool = _tool_to_call(body, answered)
    reason = knobs.incomplete_reason
    if tool is not None:
        output.append(_call_item(tool))
        produced = max(1, len(output[-1]["arguments"].split()))
    else:
        words = _reply(body, history, answered, knobs.reply).split(" ")
        limit = body.get("max_output_tokens")
        if isinstance(limit, int) and len(words) + reasoning > limit:
            words, reason = words[: max(0, limit - reasoning)], reason or "max_output_tokens"
        produced = len(" ".join(words).split())
        if words:
            output.append(_message_item(" ".join(words), "incomplete" if reason else "completed"))
    status = "incomplete" if reason else "completed"
    return ResponsesAnswer(output, status, reason, counted_input, max(1, produced + reasoning), reasoning)


def responses_usage(answer: ResponsesAnswer, knobs: FakeOpenAIKnobs) -> dict[str, Any]:
    """Usage in the Responses shape; cached and cache-written tokens come from the knobs (a part of input)."""
    cached, written = knobs.cached_tokens, knobs.cache_write_tokens
    prompt = max(answer.input_tokens, cached + written)
    usage = {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": cached, "cache_write_tokens": written},
        "output_tokens": answer.output_tokens,
        "output_tokens_details": {"reasoning_tokens": answer.reasoning_tokens},
        "total_tokens": prompt + answer.output_tokens,
    }
    return {**usage, **(knobs.usage_override or {})}
