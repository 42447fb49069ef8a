"""Streamed ``/v1/completions``: the two event sources, and the session that bills what was delivered.

On an ``openai`` channel the upstream's own stream is relayed (:class:`ForwardedEvents` only cuts
it into SSE payloads); on a chat upstream each chat chunk becomes a ``text_completion`` chunk
(:class:`ConvertedEvents`). Either way :class:`CompletionStreamSession` (the chat session, reading
the text of completion chunks) settles the job once: completed, disconnected, cut or broken.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from omnirelay.providers.base import ChatStream, Forwarded
from omnirelay.providers.sse import data_batches
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.relay.completions_transform import completion_chunk_from_chat

__all__ = ["CompletionStreamSession", "ConvertedEvents", "ForwardedEvents"]


class ForwardedEvents:
    """The data payloads of a forwarded event stream, ``[DONE]`` excluded, batched per network read."""

    def __init__(self, forwarded: Forwarded) -> None:
        self._forwarded = forwarded

    def __aiter__(self) -> AsyncIterator[list[bytes]]:
        return data_batches(self._forwarded)

    async def aclose(self) -> None:
        await self._forwarded.aclose()


class ConvertedEvents:
    """A chat upstream's chunks as ``text_completion`` chunks (``model`` is the client's model name)."""

    def __init__(self, stream: ChatStream, model: str) -> None:
        self._stream = stream
        self._model = model

    async def __aiter__(self) -> AsyncIterator[list[bytes]]:
        async for batch in self._stream:
            converted = [c for c in (self._convert(p) for p in batch) if c is not None]
            if converted:
                yield converted

    def _convert(self, payload: bytes) -> bytes | None:
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return payload
        if not isinstance(chunk, dict) or "error" in chunk:
            return payload
        converted = completion_chunk_from_chat(chunk, self._model)
        return None if converted is None else orjson.dumps(converted)

    async def aclose(self) -> None:
        await self._stream.aclose()


def _completion_chunk_text(payload: bytes) -> str:
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(chunk, dict):
        return ""
    return "".join(str(c.get("text") or "") for c in chunk.get("choices") or () if isinstance(c, dict))


class CompletionStreamSession(ChatStreamSession):
    """The chat stream session over ``text_completion`` chunks: only the delivered text is read differently.

    ``body`` is the chat-shaped view of the request (its prompt as messages), for counting when
    the upstream reports no usage."""

    @staticmethod
    def _text_of(payload: bytes) -> str:
        return _completion_chunk_text(payload)
