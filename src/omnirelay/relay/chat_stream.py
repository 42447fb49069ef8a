"""Relay a streamed chat completion to the client and bill exactly what was delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from omnirelay.errors import UpstreamError
from omnirelay.providers.base import Usage
from omnirelay.providers.openai_compat.transform import chunk_text, is_usage_only_chunk, wants_usage_chunk
from omnirelay.relay.chat import ChatRelay, OpenedStream
from omnirelay.relay.job import Job

__all__ = ["ChatStreamSession"]

_DONE = b"data: [DONE]\n\n"


def _error_frame(exc: UpstreamError) -> bytes:
    error = {"message": exc.message, "type": exc.type, "param": None, "code": exc.code}
    return b"data: " + orjson.dumps({"error": error}) + b"\n\n"


class ChatStreamSession:
    """Server-sent event frames for the client; :meth:`finish` settles the job once, whatever happened.

    Outcomes: the stream completed (bill the upstream's usage), the client went away
    (bill the prompt and the text delivered so far), the upstream broke (refund all).
    """

    def __init__(self, relay: ChatRelay, job: Job, body: dict[str, Any], opened: OpenedStream) -> None:
        self._relay = relay
        self._job = job
        self._body = body
        self._opened = opened
        self._wants_usage = wants_usage_chunk(body)
        self._usage: Usage | None = None
        self._delivered: list[str] = []
        self._completed = False
        self._upstream_error: UpstreamError | None = None

    async def frames(self) -> AsyncIterator[bytes]:
        try:
            if self._opened.first is not None:
                async for frame in self._relay_one(self._opened.first):
                    yield frame
            async for payload in self._opened.events:
                async for frame in self._relay_one(payload):
                    yield frame
        except UpstreamError as exc:
            self._upstream_error = exc
            yield _error_frame(exc)
            return
        yield _DONE
        self._completed = True

    async def _relay_one(self, payload: bytes) -> AsyncIterator[bytes]:
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            chunk = None
        if isinstance(chunk, dict):
            if chunk.get("usage") is not None:
                self._usage = Usage.from_wire(chunk["usage"]) or self._usage
            if not self._wants_usage and is_usage_only_chunk(chunk):
                return
        yield b"data: " + payload + b"\n\n"
        if isinstance(chunk, dict):  # reached only once the frame was handed to the client
            self._delivered.append(chunk_text(chunk))

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.stream.aclose()
        job = self._job
        if self._upstream_error is not None:
            job.fail(self._upstream_error)
            return
        delivered = "".join(self._delivered)
        if self._completed:
            job.succeed(self._relay.usage_or_count(self._usage, self._body, delivered))
            return
        counted = self._relay.usage_or_count(None, self._body, delivered)
        job.succeed(counted, status=499, error="client disconnected mid-stream")
