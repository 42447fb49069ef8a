"""What the fake OpenAI upstream answers: deterministic text, tool calls and word-count usage."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Answer", "build_answer", "prompt_tokens"]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def prompt_tokens(messages: Any) -> int:
    """Words of every text part, plus three per message."""
    if not isinstance(messages, list):
        return 0
    return sum(len(_text(m.get("content")).split()) + 3 for m in messages if isinstance(m, dict))


@dataclass(frozen=True)
class Answer:
    content: str | None
    tool_call: dict[str, Any] | None
    finish_reason: str
    chunk_count: int | None

    @property
    def tokens(self) -> int:
        if self.tool_call is not None:
            return max(1, len(self.tool_call["function"]["arguments"].split()))
        return max(1, len((self.content or "").split()))

    def deltas(self) -> Iterator[dict[str, Any]]:
        if self.tool_call is not None:
            function = self.tool_call["function"]
            head = {"index": 0, "id": self.tool_call["id"], "type": "function"}
            yield {"tool_calls": [{**head, "function": {"name": function["name"], "arguments": ""}}]}
            arguments = function["arguments"]
            for start in range(0, len(arguments), 8):
                yield {"tool_calls": [{"index": 0, "function": {"arguments": arguments[start : start + 8]}}]}
            return
        yield from ({"content": piece} for piece in _split(self.content or "", self.chunk_count))


def _split(text: str, count: int | None) -> list[str]:
    words = text.split(" ")
    pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
    if count is None or count >= len(pieces):
        return pieces
    size = -(-len(pieces) // max(1, count))
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def _tool_call(body: dict[str, Any]) -> dict[str, Any] | None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if not isinstance(tools, list) or not tools or choice == "none":
        return None
    function = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        wanted = choice["function"].get("name")
        function = next((t["function"] for t in tools if t.get("function", {}).get("name") == wanted), function)
    required = (function.get("parameters") or {}).get("required") or []
    arguments = orjson.dumps({name: "test" for name in required}, option=orjson.OPT_NON_STR_KEYS).decode()
    arguments = arguments.replace('":"', '": "').replace('","', '", "')
    return {
        "id": "call_" + secrets.token_hex(6),
        "type": "function",
        "function": {"name": function.get("name", "tool"), "arguments": arguments},
    }


def build_answer(body: dict[str, Any], reply: str | None, chunks: int | None) -> Answer:
    call = _tool_call(body)
    if call is not None:
        return Answer(None, call, "tool_calls", chunks)
    messages = body.get("messages") or []
    last_user = next(
        (_text(m.get("content")) for m in reversed(messages) if isinstance(m, dict) and m.get("role") == "user"), ""
    )
    text = reply if reply is not None else f"Hello! You said: {last_user}"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0:
        text = " ".join(text.split(" ")[:limit])
    format_ = body.get("response_format")
    if isinstance(format_, dict) and format_.get("type") in ("json_object", "json_schema"):
        text = orjson.dumps({"reply": text}).decode()
    return Answer(text, None, "stop", chunks)
