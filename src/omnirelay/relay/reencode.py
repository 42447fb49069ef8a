"""A chat stream session's frames re-encoded for another API family, payload by payload.

Gemini, Responses and Anthropic clients served by a chat upstream all get the chat stream
session's frames (``relay/chat_stream.py`` keeps relaying and billing them), decoded back into
their ``data:`` payloads: each chunk, the session's mid-stream ``{"error": ...}`` chunk and the
final ``[DONE]`` go to the family's :class:`ChatTranslator`, which returns the client's bytes.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import Any, Protocol

import orjson

from omnirelay.providers.sse import SSEDecoder

__all__ = ["ChatTranslator", "reencoded"]


class ChatTranslator(Protocol):
    """One family's encoding of a chat stream (stateful: one per streamed answer)."""

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        """The frames for one ``chat.completion.chunk`` (``b""``: nothing to send yet)."""
        ...

    def error(self, error: dict[str, Any]) -> bytes:
        """The frames for the session's mid-stream error (the call is refunded)."""
        ...

    def done(self) -> bytes:
        """The frames for the stream's end (``[DONE]``)."""
        ...


def _translated(payload: bytes, translator: ChatTranslator) -> bytes:
    if payload == b"[DONE]":
        return translator.done()
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return b""
    if not isinstance(chunk, dict):
        return b""
    error = chunk.get("error")
    if isinstance(error, dict):
        return translator.error(error)
    return translator.chunk(chunk)


async def reencoded(
    frames: AsyncGenerator[bytes, None],
    translator: ChatTranslator,
    *,
    closing: Callable[[], bytes] | None = None,
) -> AsyncGenerator[bytes, None]:
    """``frames`` translated, the frames of one network read sent together; ``closing()`` once
    they ended (a framing's closing bytes)."""
    decoder = SSEDecoder()
    try:
        async for frame in frames:
            out = b"".join(_translated(payload, translator) for payload in decoder.feed(frame))
            if out:
                yield out
        end = closing() if closing is not None else b""
        if end:
            yield end
    finally:
        with contextlib.suppress(RuntimeError):  # a generator still running cannot be closed
            await frames.aclose()
