"""Anthropic Messages served by a channel that does not speak it: through the OpenAI chat shape.

The request was converted by ``providers/anthropic/transform.py`` (``thinking`` becomes
``reasoning_effort``); the chat answer, or the chat stream's chunks, are turned back into
Anthropic's shape here (an upstream's ``reasoning_content`` becomes a thinking block without a
signature). Billing, disconnects and the deadline are the chat stream session's.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson

from omnirelay.providers.anthropic.stream import AnthropicEvents, error_event, event_frame
from omnirelay.providers.anthropic.transform import anthropic_message_from_openai
from omnirelay.providers.base import ChatResult, Usage
from omnirelay.providers.usage import as_openai_chat
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.relay.reencode import reencoded

__all__ = ["ConvertedStreamSession", "converted_message"]


def converted_message(result: ChatResult, usage: Usage) -> bytes:
    """The Anthropic message for a chat answer; ``usage`` is what was billed when the upstream sent none."""
    response = orjson.loads(result.raw)
    if not isinstance(response, dict):
        response = {}
    if result.usage is None:  # billed on counted tokens: report the same counts
        response["usage"] = as_openai_chat(usage)
    return orjson.dumps(anthropic_message_from_openai(response))


class _Translator:
    """Chat payloads as Anthropic events."""

    def __init__(self, model: str) -> None:
        self._events = AnthropicEvents(model)

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        return _framed(self._events.feed(chunk))

    def error(self, error: dict[str, Any]) -> bytes:
        """The upstream broke mid-stream (the call is refunded)."""
        kind = "overloaded_error" if error.get("code") == "upstream_overloaded" else "api_error"
        return event_frame(error_event(kind, str(error.get("message") or "the upstream failed")))

    def done(self) -> bytes:
        return _framed(self._events.finish())


def _framed(events: list[dict[str, Any]]) -> bytes:
    return b"".join(event_frame(event) for event in events)


class ConvertedStreamSession:
    """A chat stream session whose OpenAI frames are re-encoded as Anthropic events."""

    def __init__(self, session: ChatStreamSession, model: str) -> None:
        self._session = session
        self._model = model

    def frames(self) -> AsyncGenerator[bytes, None]:
        return reencoded(self._session.frames(), _Translator(self._model))

    async def finish(self) -> None:
        await self._session.finish()
