"""Relay a native Gemini stream to the client as it arrives and bill exactly what was delivered.

The upstream is always asked for server-sent events. A client that asked for them too gets the
upstream's bytes untouched, network read by network read (thought parts and signatures included,
in the fragments where Gemini put them); a client that asked for the JSON array gets the same
fragments re-framed. The fragments are decoded on the side only to read the last
``usageMetadata`` and the grounding searches.

Outcomes, as for chat (``relay/chat_stream.py``): the stream completed (bill the upstream's
usage); the client went away or the gateway cut the stream at ``relay.max_request_s`` (bill the
usage reported so far, else the request and the text delivered, counted); the upstream failed,
or sent an ``{"error": ...}`` fragment (refund all).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable

import orjson

from omnirelay.errors import UpstreamError
from omnirelay.providers.base import Usage
from omnirelay.providers.sse import SSEDecoder
from omnirelay.relay.delivered import DeliveredText, json_text
from omnirelay.relay.gemini import NativeOpened
from omnirelay.relay.gemini_framing import GeminiFraming, error_payload
from omnirelay.relay.gemini_tokens import response_text
from omnirelay.relay.gemini_usage import GeminiUsage
from omnirelay.relay.job import Job
from omnirelay.relay.stream_session import StreamRun

__all__ = ["NativeStreamSession"]


class NativeStreamSession:
    """Frames for the client; :meth:`finish` settles the job once, whatever happened.

    ``counted(text)``: the usage to bill when the upstream reported none (the request counted,
    plus ``text``, the answer delivered)."""

    def __init__(
        self,
        job: Job,
        opened: NativeOpened,
        framing: GeminiFraming,
        counted: Callable[[str], Usage],
        max_request_s: float,
    ) -> None:
        self._opened = opened
        self._framing = framing
        self._counted = counted
        self._decoder = SSEDecoder()
        self._usage = GeminiUsage()
        self._delivered = DeliveredText(json_text(response_text))
        self._run = StreamRun(job, max_request_s)

    def frames(self) -> AsyncGenerator[bytes, None]:
        return self._run.guard(self._relayed(), self._error_frame)

    async def _relayed(self) -> AsyncGenerator[bytes, None]:
        read = self._opened.first
        while read is not None:
            out = self._relay(read, self._decoder.feed(read))
            if out:
                yield out
            read = await self._run.next(self._opened.reads)
        tail = self._decoder.close()
        yield self._relay(b"", tail) + self._framing.close()
        self._run.completed = True

    def _error_frame(self, exc: UpstreamError) -> bytes:
        return self._framing.frame(error_payload(exc)) + self._framing.close()

    def _relay(self, read: bytes, payloads: list[bytes]) -> bytes:
        """What the client gets for one network read; notes usage, delivered text and in-band errors."""
        for payload in payloads:
            self._note(payload)
        if self._framing.sse:
            return read  # the upstream's bytes as they came (a last unterminated event was in an earlier read)
        return b"".join(self._framing.frame(p) for p in payloads)

    def _note(self, payload: bytes) -> None:
        """Parse only the fragments that matter for billing; keep the rest as bytes."""
        self._delivered.add(payload)
        if b'"usageMetadata"' not in payload and b'"error"' not in payload and b'"groundingMetadata"' not in payload:
            return
        try:
            fragment = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if not isinstance(fragment, dict):
            return
        error = fragment.get("error")
        if isinstance(error, dict):
            self._run.upstream_error = UpstreamError(f"the upstream failed mid-stream: {error.get('message')}")
            return
        self._usage.note(fragment)

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.forwarded.aclose()
        await self._run.settle(lambda: self._usage.usage or self._counted(self._delivered.text()))
