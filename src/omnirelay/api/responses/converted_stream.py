"""A chat upstream's stream as Responses events: the chat relay's frames, re-encoded event by event.

The chat stream session (``relay/chat_stream.py``) keeps doing the relaying and the billing (usage
chunk, client disconnect, deadline, upstream failure); this wrapper only turns its ``data:``
frames into ``event: <type>`` / ``data: <json>`` frames with :class:`ResponsesEvents`, and keeps
the final Response for the store.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson

from omnirelay.api.responses.events import ResponsesEvents
from omnirelay.providers.openai_compat.transform import chunk_text, is_usage_only_chunk
from omnirelay.providers.usage import Usage, from_openai_chat
from omnirelay.relay.chat import OpenedStream
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.relay.job import Job
from omnirelay.relay.reencode import reencoded
from omnirelay.relay.responses import Plan, ResponsesRelay

__all__ = ["ConvertedStream", "event_frame"]


def event_frame(event: dict[str, Any]) -> bytes:
    return b"event: " + str(event.get("type", "")).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def _framed(events: list[dict[str, Any]]) -> bytes:
    return b"".join(event_frame(event) for event in events)


class ConvertedStream:
    def __init__(self, relay: ResponsesRelay, job: Job, plan: Plan, opened: OpenedStream) -> None:
        assert plan.chat_body is not None
        # the usage chunk must reach the translator (the final event carries it), whatever the client said
        body = {**plan.chat_body, "stream_options": {"include_usage": True}}
        self._session = ChatStreamSession(relay.chat, job, body, opened)
        self._relay = relay
        self._plan = plan
        self._events = ResponsesEvents(plan.body, response_id=plan.response_id, created_at=plan.created_at)
        self._usage: Usage | None = None
        self._text: list[str] = []
        self._ended = False

    @property
    def final(self) -> dict[str, Any] | None:
        """The final Response, once its terminal event was produced."""
        return self._events.response if self._ended else None

    def frames(self) -> AsyncGenerator[bytes, None]:
        return reencoded(self._session.frames(), self)

    def done(self) -> bytes:
        if self._ended:
            return b""
        self._ended = True
        usage = self._usage or self._relay.counted(self._plan, "".join(self._text))
        return _framed(self._events.finish(usage))

    def error(self, error: dict[str, Any]) -> bytes:
        """The upstream broke mid-stream (the call is refunded)."""
        if self._ended:
            return b""
        self._ended = True
        return _framed(self._events.failed(str(error.get("message") or "the upstream failed"), "server_error"))

    def chunk(self, chunk: dict[str, Any]) -> bytes:
        if self._ended:
            return b""
        if chunk.get("usage") is not None:
            self._usage = from_openai_chat(chunk["usage"]) or self._usage
        if is_usage_only_chunk(chunk):
            return b""
        self._text.append(chunk_text(chunk))
        return _framed(self._events.feed(chunk))

    async def finish(self) -> None:
        await self._session.finish()
