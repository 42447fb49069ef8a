"""Relay a streamed chat completion to the client and bill exactly what was delivered."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import orjson

from omnirelay.errors import UpstreamError
from omnirelay.providers.base import Usage
from omnirelay.providers.openai_compat.transform import chunk_text, is_usage_only_chunk, wants_usage_chunk
from omnirelay.relay.chat import ChatRelay, OpenedStream
from omnirelay.relay.delivered import DeliveredText, json_text
from omnirelay.relay.job import Job
from omnirelay.relay.stream_session import StreamRun

__all__ = ["ChatStreamSession"]

_DONE = b"data: [DONE]\n\n"


def _frames(payloads: list[bytes]) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads)


_chunk_text = json_text(lambda chunk: chunk_text(chunk) if isinstance(chunk, dict) else "")


def _error_frame(exc: UpstreamError) -> bytes:
    error = {"message": exc.message, "type": exc.type, "param": None, "code": exc.code}
    return b"data: " + orjson.dumps({"error": error}) + b"\n\n"


class ChatStreamSession:
    """Server-sent event frames for the client; :meth:`finish` settles the job once, whatever happened.

    Outcomes: the stream completed (bill the upstream's usage); the client went away, or the
    gateway cut the stream at ``relay.max_request_s`` (bill the upstream's usage when it already
    sent some, else the whole request and the text delivered so far); the upstream broke
    (refund all).
    """

    def __init__(self, relay: ChatRelay, job: Job, body: dict[str, Any], opened: OpenedStream) -> None:
        self._relay = relay
        self._body = body
        self._opened = opened
        self._wants_usage = wants_usage_chunk(body)
        self._usage: Usage | None = None
        self._delivered = DeliveredText(self._text_of)
        self._run = StreamRun(job, relay.max_request_s)

    def frames(self) -> AsyncGenerator[bytes, None]:
        return self._run.guard(self._relayed(), _error_frame)

    async def _relayed(self) -> AsyncGenerator[bytes, None]:
        batch = self._opened.first
        while batch is not None:
            kept = [p for p in batch if self._keep(p)]
            if kept:
                yield _frames(kept)
                self._delivered.extend(kept)  # reached only once the client took the frames
            batch = await self._run.next(self._opened.events)
        yield _DONE
        self._run.completed = True

    def _keep(self, payload: bytes) -> bool:
        """Note usage when the chunk carries it; drop the usage-only chunk the client did not ask for.

        Only chunks that mention a usage object are parsed: the rest pass through as bytes.
        """
        if b'"usage":{' not in payload and b'"usage": {' not in payload:
            return True
        try:
            chunk = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return True
        if not isinstance(chunk, dict):
            return True
        self._usage = Usage.from_wire(chunk.get("usage")) or self._usage
        return self._wants_usage or not is_usage_only_chunk(chunk)

    @staticmethod
    def _text_of(payload: bytes) -> str:
        """The text one delivered chunk carries (the session's dialect reads it; see completions)."""
        return _chunk_text(payload)

    def _adapter_usage(self) -> Usage | None:
        """The precise usage a provider's stream may expose as ``usage`` (``None`` when it has none)."""
        usage = getattr(self._opened.stream, "usage", None)
        return usage if isinstance(usage, Usage) else None

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.stream.aclose()
        await self._run.settle(self._billed)

    def _billed(self) -> Usage:
        # the adapter's own usage when it has one: it may hold kinds the chunk shape cannot carry
        # (Anthropic's 1-hour cache writes); else the chunks'; else the delivered frames re-read
        usage = self._adapter_usage() or self._usage
        if usage is None:
            usage = self._relay.usage_or_count(None, self._body, self._delivered.text())
        return usage
