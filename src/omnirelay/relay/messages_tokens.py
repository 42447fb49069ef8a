"""The gateway's own token estimate for Anthropic Messages requests and answers.

Used where no Anthropic upstream can count: ``POST /v1/messages/count_tokens`` on a model with no
``anthropic`` channel, and billing when an upstream reported no usage. It is an estimate, not
Anthropic's tokenizer: text (system, text, thinking, tool inputs, tool results) is counted with
cl100k_base (:class:`~omnirelay.relay.tokens.TokenCounter`), each message adds 3 tokens, an image
counts 1,600 tokens (Anthropic's cost of an image at its largest default size, about 1.15
megapixels), tool definitions count as their JSON text, and any other block (documents, server
tool results, redacted thinking) about one token per four bytes of its JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from omnirelay.relay.tokens import TokenCounter

__all__ = ["count_answer", "count_deltas", "count_messages_request"]

_PER_MESSAGE = 3
_IMAGE_TOKENS = 1600
_BYTES_PER_TOKEN = 4
_TEXT_FIELDS = {"text": "text", "thinking": "thinking"}


def count_messages_request(counter: TokenCounter, body: Mapping[str, Any]) -> int:
    """Input tokens of an Anthropic Messages (or count_tokens) request: system, messages and tools."""
    total = _count_content(counter, body.get("system"))
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else ():
        if isinstance(message, dict):
            total += _PER_MESSAGE + _count_content(counter, message.get("content"))
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        total += counter.count_text(orjson.dumps(tools).decode())
    return total


def _count_content(counter: TokenCounter, content: Any) -> int:
    if isinstance(content, str):
        return counter.count_text(content)
    if not isinstance(content, list):
        return 0
    return sum(_count_block(counter, block) for block in content if isinstance(block, dict))


def _count_block(counter: TokenCounter, block: dict[str, Any]) -> int:
    kind = block.get("type")
    if kind in _TEXT_FIELDS:
        return counter.count_text(str(block.get(_TEXT_FIELDS[kind]) or ""))
    if kind == "image":
        return _IMAGE_TOKENS
    if kind == "tool_use":
        return counter.count_text(str(block.get("name") or "")) + counter.count_text(
            orjson.dumps(block.get("input")).decode()
        )
    if kind == "tool_result":
        return _count_content(counter, block.get("content"))
    return len(orjson.dumps(block)) // _BYTES_PER_TOKEN + 1


def count_answer(counter: TokenCounter, message: Mapping[str, Any]) -> int:
    """Output tokens of an Anthropic message (text, thinking and tool inputs), for an answer without usage."""
    return _count_content(counter, message.get("content"))


def count_deltas(counter: TokenCounter, deltas: Iterable[Mapping[str, Any]]) -> int:
    """Output tokens of streamed ``content_block_delta`` deltas (text, thinking, tool input JSON)."""
    parts: list[str] = []
    for delta in deltas:
        for name in ("text", "thinking", "partial_json"):
            value = delta.get(name)
            if isinstance(value, str):
                parts.append(value)
    return counter.count_text("".join(parts))
