"""Pure functions between the client's OpenAI wire objects and an OpenAI-compatible upstream's."""

from __future__ import annotations

from typing import Any

__all__ = [
    "chunk_text",
    "completion_text",
    "is_usage_only_chunk",
    "prepare_chat_body",
    "reasoning_text",
    "wants_usage_chunk",
]


def prepare_chat_body(body: dict[str, Any], upstream_model: str, *, stream: bool) -> dict[str, Any]:
    """The upstream request: the client's body with the upstream model name, nothing else changed,
    except that streams always ask for the final usage chunk (so billing needs no guessing)."""
    prepared = dict(body)
    prepared["model"] = upstream_model
    if stream:
        options = dict(prepared.get("stream_options") or {})
        options["include_usage"] = True
        prepared["stream_options"] = options
    return prepared


def wants_usage_chunk(body: dict[str, Any]) -> bool:
    """Did the client itself ask for the usage chunk? If not, the gateway strips it."""
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def reasoning_text(source: dict[str, Any]) -> str:
    """A chat message or delta's reasoning: ``reasoning_content`` (DeepSeek's), or ``reasoning`` on some servers."""
    for name in ("reasoning_content", "reasoning"):
        text = source.get(name)
        if isinstance(text, str) and text:
            return text
    return ""


def _message_text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    parts: list[str] = []
    content = message.get("content")
    if isinstance(content, str):
        parts.append(content)
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            parts.append(str(function.get("name") or ""))
            parts.append(str(function.get("arguments") or ""))
    return "".join(parts)


def completion_text(response: dict[str, Any]) -> str:
    """All text the model produced in a non-streamed answer (content and tool-call arguments)."""
    return "".join(_message_text(c.get("message")) for c in response.get("choices") or () if isinstance(c, dict))


def chunk_text(chunk: dict[str, Any]) -> str:
    """The text one streamed chunk adds."""
    return "".join(_message_text(c.get("delta")) for c in chunk.get("choices") or () if isinstance(c, dict))


def is_usage_only_chunk(chunk: dict[str, Any]) -> bool:
    return not chunk.get("choices") and chunk.get("usage") is not None
