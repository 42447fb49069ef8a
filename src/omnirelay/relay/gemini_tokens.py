"""The gateway's own token count of a Gemini request, where no Gemini upstream counts it.

Used for ``countTokens`` on a channel that does not speak Gemini, and to bill a native call whose
upstream reported no ``usageMetadata``. It is an estimate: text is counted with the gateway's
tokenizer (``cl100k_base``, not Gemini's), each image, audio or file part as 258 tokens (what
Gemini counts for an image up to 384 px), function calls and results as their JSON, and tool
declarations as their JSON, plus three tokens per turn.
"""

from __future__ import annotations

from typing import Any

import orjson

from omnirelay.relay.tokens import TokenCounter

__all__ = ["count_gemini_request", "count_gemini_text", "response_text"]

_PER_TURN = 3
_MEDIA_TOKENS = 258
_BYTES_PER_TOKEN = 4


def _part_tokens(tokens: TokenCounter, part: dict[str, Any]) -> int:
    text = part.get("text")
    if isinstance(text, str):
        return tokens.count_text(text)
    for kind, key in (("functionCall", "args"), ("functionResponse", "response")):
        value = part.get(kind)
        if isinstance(value, dict):
            return tokens.count_text(str(value.get("name") or "")) + tokens.count_text(
                orjson.dumps(value.get(key) or {}).decode()
            )
    if "inlineData" in part or "fileData" in part:
        return _MEDIA_TOKENS
    return len(orjson.dumps(part)) // _BYTES_PER_TOKEN + 1


def _contents_tokens(tokens: TokenCounter, contents: list[Any]) -> int:
    total = 0
    for content in contents:
        parts = content.get("parts") if isinstance(content, dict) else None
        total += _PER_TURN
        for part in parts if isinstance(parts, list) else ():
            if isinstance(part, dict):
                total += _part_tokens(tokens, part)
    return total


def count_gemini_request(tokens: TokenCounter, body: dict[str, Any]) -> int:
    """Prompt tokens of a ``generateContent`` body (or ``countTokens``', nested request included)."""
    nested = body.get("generateContentRequest")
    request = nested if isinstance(nested, dict) else body
    contents = request.get("contents")
    turns = list(contents) if isinstance(contents, list) else []
    system = request.get("systemInstruction") or request.get("system_instruction")
    if isinstance(system, dict):
        turns.append(system)
    total = _contents_tokens(tokens, turns)
    tools = request.get("tools")
    if isinstance(tools, list) and tools:
        total += tokens.count_text(orjson.dumps(tools).decode())
    return total


def count_gemini_text(tokens: TokenCounter, contents: list[Any]) -> int:
    """Tokens of contents to embed (no per-turn overhead: embeddings read the text alone)."""
    return sum(_contents_tokens(tokens, [c]) - _PER_TURN for c in contents)


def response_text(response: Any) -> str:
    """The text a ``GenerateContentResponse`` (or one fragment) carries: text parts and call arguments."""
    texts: list[str] = []
    candidates = response.get("candidates") if isinstance(response, dict) else None
    for candidate in candidates if isinstance(candidates, list) else ():
        content = candidate.get("content") if isinstance(candidate, dict) else None
        parts = content.get("parts") if isinstance(content, dict) else None
        for part in parts if isinstance(parts, list) else ():
            if not isinstance(part, dict):
                continue
            if isinstance(part.get("text"), str):
                texts.append(part["text"])
            call = part.get("functionCall")
            if isinstance(call, dict):
                texts.append(str(call.get("name") or "") + orjson.dumps(call.get("args") or {}).decode())
    return "".join(texts)
