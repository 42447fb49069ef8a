"""What the fake Anthropic upstream checks and answers: strict validation, deterministic replies.

The checks are the ones a converter most easily gets wrong: required ``max_tokens``, roles,
empty text blocks, image sources, and tool_result blocks that must answer a tool_use of the
assistant turn just before. Usage is words (+3 per message, system included), like FakeOpenAI.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["MessageAnswer", "build_message_answer", "is_server_tool", "request_problem"]

_MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_TOOL_CHOICES = frozenset({"auto", "any", "tool", "none"})


def _image_problem(block: dict[str, Any], where: str) -> str | None:
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if kind == "url":
        url = source.get("url") if isinstance(source, dict) else None
        return None if isinstance(url, str) and url.startswith(("http://", "https://")) else f"{where}: bad url"
    if kind != "base64" or not isinstance(source, dict):
        return f"{where}.source.type: Input tag {kind!r} found does not match 'base64' or 'url'"
    if source.get("media_type") not in _MEDIA_TYPES:
        return f"{where}.source.media_type: Input should be {', '.join(sorted(_MEDIA_TYPES))}"
    try:
        base64.b64decode(str(source.get("data") or ""), validate=True)
    except binascii.Error:
        return f"{where}.source.data: invalid base64 data"
    return None


def _block_problem(block: Any, where: str, role: str, tool_ids: set[str]) -> str | None:
    kind = block.get("type") if isinstance(block, dict) else None
    if kind == "text":
        text = block.get("text") if isinstance(block, dict) else None
        return None if isinstance(text, str) and text else f"{where}: text content blocks must be non-empty"
    if kind == "image":
        return _image_problem(block, where) if isinstance(block, dict) else None
    if kind == "tool_use" and role == "assistant" and isinstance(block, dict):
        ok = isinstance(block.get("id"), str) and isinstance(block.get("name"), str)
        return None if ok and isinstance(block.get("input"), dict) else f"{where}: tool_use needs id, name and input"
    if kind == "tool_result" and role == "user" and isinstance(block, dict):
        if block.get("tool_use_id") in tool_ids:
            return None
        return f"{where}: unexpected `tool_use_id` found in `tool_result` blocks: {block.get('tool_use_id')}"
    if kind in ("document", "thinking", "redacted_thinking", "server_tool_use", "web_search_tool_result"):
        return None
    return f"{where}.type: Input tag {kind!r} is not a valid content block for the {role} role"


def _message_problem(message: Any, where: str, tool_ids: set[str]) -> str | None:
    role = message.get("role") if isinstance(message, dict) else None
    if role not in ("user", "assistant") or not isinstance(message, dict):
        return f"{where}.role: Input should be 'user' or 'assistant'"
    content = message.get("content")
    if isinstance(content, str):
        return None
    if not isinstance(content, list):
        return f"{where}.content: Input should be a valid string or list"
    for i, block in enumerate(content):
        problem = _block_problem(block, f"{where}.content.{i}", role, tool_ids)
        if problem:
            return problem
    return None


def _tool_use_ids(message: dict[str, Any]) -> set[str]:
    content = message.get("content")
    if message.get("role") != "assistant" or not isinstance(content, list):
        return set()
    return {str(b.get("id")) for b in content if isinstance(b, dict) and b.get("type") == "tool_use"}


def is_server_tool(tool: Any) -> bool:
    """A tool Anthropic runs itself (``web_search_20250305``...): it has a ``type`` and no schema."""
    return isinstance(tool, dict) and tool.get("type") not in (None, "custom")


def _tools_problem(body: dict[str, Any]) -> str | None:
    for i, tool in enumerate(body.get("tools") or ()):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
            return f"tools.{i}.name: Field required"
        if not is_server_tool(tool) and not isinstance(tool.get("input_schema"), dict):
            return f"tools.{i}.input_schema: Field required"
    choice = body.get("tool_choice")
    if choice is not None and (not isinstance(choice, dict) or choice.get("type") not in _TOOL_CHOICES):
        return "tool_choice.type: Input tag does not match 'auto', 'any', 'tool' or 'none'"
    return None


def request_problem(body: Any) -> str | None:
    """What the real API would refuse in this body (None: it is acceptable)."""
    if not isinstance(body, dict):
        return "There was an error parsing the body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    limit = body.get("max_tokens")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: Field required"
    tool_ids: set[str] = set()
    for i, message in enumerate(messages):
        problem = _message_problem(message, f"messages.{i}", tool_ids)
        if problem:
            return problem
        tool_ids = _tool_use_ids(message)
    return _tools_problem(body)


def _words(content: Any) -> list[str]:
    """The words of the text (and tool result text) in a message's content."""
    if isinstance(content, str):
        return content.split()
    words: list[str] = []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict) and block.get("type") in ("text", "tool_result"):
            words += _words(block.get("text") if block.get("type") == "text" else block.get("content"))
    return words


def _prompt_tokens(body: dict[str, Any]) -> int:
    system = body.get("system")
    total = len(_words(system)) + 3 if system else 0
    return total + sum(len(_words(m.get("content"))) + 3 for m in body["messages"])


def _last_user(body: dict[str, Any]) -> dict[str, Any]:
    return next((m for m in reversed(body["messages"]) if m.get("role") == "user"), {})


def _count(content: Any, kind: str) -> int:
    return sum(1 for b in content if isinstance(b, dict) and b.get("type") == kind) if isinstance(content, list) else 0


def _tool_to_use(body: dict[str, Any], last_text: str) -> dict[str, Any] | None:
    tools = [t for t in body.get("tools") or () if isinstance(t, dict) and not is_server_tool(t)]
    choice = body.get("tool_choice")
    choice = choice if isinstance(choice, dict) else {"type": "auto"}
    if not tools or choice.get("type") == "none":
        return None
    if choice.get("type") == "tool":
        return next((t for t in tools if t.get("name") == choice.get("name")), None)
    if choice.get("type") == "any":
        return tools[0]
    if _count(_last_user(body).get("content"), "tool_result"):
        return None  # the prompt answers an earlier call: reply in text
    return next((t for t in tools if str(t.get("name")).lower() in last_text.lower()), None)


@dataclass(frozen=True)
class MessageAnswer:
    content: list[dict[str, Any]]
    stop_reason: str
    stop_sequence: str | None
    input_tokens: int
    chunks: int | None

    @property
    def thinking_tokens(self) -> int:
        return sum(len(b["thinking"].split()) for b in self.content if b["type"] == "thinking")

    @property
    def web_searches(self) -> int:
        return sum(1 for b in self.content if b["type"] == "server_tool_use")

    @property
    def output_tokens(self) -> int:
        texts = sum(len(b["text"].split()) for b in self.content if b["type"] == "text")
        tools = sum(max(1, len(b["input"])) for b in self.content if b["type"] in ("tool_use", "server_tool_use"))
        return max(1, texts + tools + self.thinking_tokens)

    def deltas(self, block: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The ``content_block_delta`` payloads that stream ``block`` (none for blocks sent whole)."""
        if block["type"] == "thinking":
            yield {"type": "thinking_delta", "thinking": block["thinking"]}
            yield {"type": "signature_delta", "signature": block["signature"]}
            return
        if block["type"] in ("redacted_thinking", "web_search_tool_result"):
            return
        if block["type"] in ("tool_use", "server_tool_use"):
            arguments = orjson.dumps(block["input"]).decode()
            for start in range(0, len(arguments), 8):
                yield {"type": "input_json_delta", "partial_json": arguments[start : start + 8]}
            return
        words = block["text"].split(" ")
        size = max(1, -(-len(words) // self.chunks)) if self.chunks else 1
        for start in range(0, len(words), size):
            piece = " ".join(words[start : start + size])
            yield {"type": "text_delta", "text": piece if start == 0 else " " + piece}


def _text_reply(body: dict[str, Any], reply: str | None, last_text: str) -> tuple[str, str, str | None]:
    images = _count(_last_user(body).get("content"), "image")
    text = reply if reply is not None else f"Hello! You said: {last_text}"
    if reply is None and images:
        text += f" [{images} image{'s' if images > 1 else ''}]"
    for stop in body.get("stop_sequences") or ():
        if isinstance(stop, str) and stop and stop in text:
            return text[: text.index(stop)], "stop_sequence", stop
    words = text.split(" ")
    if len(words) > body["max_tokens"]:
        return " ".join(words[: body["max_tokens"]]), "max_tokens", None
    return text, "end_turn", None


def _web_search(body: dict[str, Any], last_text: str) -> list[dict[str, Any]]:
    """A server-side search and its result, when the request offers the web search tool."""
    if not any(is_server_tool(t) and str(t.get("type")).startswith("web_search") for t in body.get("tools") or ()):
        return []
    call_id = "srvtoolu_" + secrets.token_hex(6)
    result = {"type": "web_search_result", "url": "https://example.com/", "title": "Example", "page_age": None}
    return [
        {"type": "server_tool_use", "id": call_id, "name": "web_search", "input": {"query": last_text}},
        {
            "type": "web_search_tool_result",
            "tool_use_id": call_id,
            "content": [{**result, "encrypted_content": "Eu8B"}],
        },
    ]


def build_message_answer(
    body: dict[str, Any], reply: str | None, chunks: int | None, head: list[dict[str, Any]] | None = None
) -> MessageAnswer:
    """The answer to a valid request: a tool call when the prompt names a tool (or tool_choice forces one).

    ``head``: blocks that come first (thinking); a request offering web search searches first."""
    last_text = " ".join(_words(_last_user(body).get("content")))
    tokens = _prompt_tokens(body)
    head = [*(head or []), *_web_search(body, last_text)]
    answer = _answer(body, reply, chunks, last_text, tokens)
    return MessageAnswer([*head, *answer.content], answer.stop_reason, answer.stop_sequence, tokens, chunks)


def _answer(body: dict[str, Any], reply: str | None, chunks: int | None, last_text: str, tokens: int) -> MessageAnswer:
    tool = _tool_to_use(body, last_text)
    if tool is not None:
        required = (tool.get("input_schema") or {}).get("required") or []
        call = {"type": "tool_use", "id": "toolu_" + secrets.token_hex(6), "name": tool["name"]}
        blocks = [{**call, "input": {str(name): "test" for name in required}}]
        if (body.get("tool_choice") or {}).get("type", "auto") == "auto":
            blocks.insert(0, {"type": "text", "text": f"Calling {tool['name']}."})
        return MessageAnswer(blocks, "tool_use", None, tokens, chunks)
    text, stop_reason, stop_sequence = _text_reply(body, reply, last_text)
    return MessageAnswer([{"type": "text", "text": text}], stop_reason, stop_sequence, tokens, chunks)
