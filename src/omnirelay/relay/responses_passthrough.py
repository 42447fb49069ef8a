"""Responses relayed to an upstream that serves them itself: the bytes untouched, the usage read on the way.

A plain answer is read whole (usage from its ``usage`` object, web searches counted from its
``web_search_call`` output items). A stream is passed on chunk by chunk as the network delivers
it; only the terminal event (``response.completed``, ``.incomplete`` or ``.failed``) is parsed,
for the same usage. Outcomes, as for chat streams (``relay/chat_stream.py``): a terminal event
arrived (bill its usage); the client went away first (bill the request and the text delivered
so far, counted); the upstream broke or ended without a terminal event (refund all, and tell
the client with an ``error`` event).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.providers.base import ForwardCall, Forwarded, Forwarder, Usage
from omnirelay.providers.sse import SSEDecoder
from omnirelay.providers.usage import from_responses
from omnirelay.relay.delivered import DeliveredText, json_text
from omnirelay.relay.job import Job
from omnirelay.relay.priming import first_read
from omnirelay.relay.stream_session import StreamCut, StreamRun

__all__ = ["ForwardStreamSession", "OpenedForward", "open_forward", "usage_of"]

_TERMINAL = (b'"response.completed"', b'"response.incomplete"', b'"response.failed"')
_TEXT_DELTA = b'"response.output_text.delta"'


def usage_of(response: Any) -> Usage | None:
    """What a Response object reports it used, its web searches included."""
    if not isinstance(response, dict):
        return None
    output = response.get("output")
    items = output if isinstance(output, list) else []
    searches = sum(1 for item in items if isinstance(item, dict) and item.get("type") == "web_search_call")
    return from_responses(response.get("usage"), web_search_calls=searches)


def _event_delta(event: object) -> str:
    delta = event.get("delta") if isinstance(event, dict) else None
    return delta if isinstance(delta, str) else ""


_delta_text = json_text(_event_delta)


@dataclass(slots=True)
class OpenedForward:
    """An upstream stream that delivered its first bytes (failover ends there)."""

    forwarded: Forwarded
    chunks: AsyncIterator[bytes]
    first: bytes | None
    channel: Channel


async def open_forward(provider: Forwarder, call: ForwardCall, channel: Channel) -> OpenedForward:
    forwarded = await provider.forward(call)
    chunks, first = await first_read(forwarded)
    return OpenedForward(forwarded, chunks, first, channel)


def _error_event(message: str, code: str | None = None) -> bytes:
    event = {"type": "error", "code": code or "upstream_error", "message": message, "param": None}
    return b"event: error\ndata: " + orjson.dumps(event) + b"\n\n"


class ForwardStreamSession:
    """The upstream's event stream for the client; :meth:`finish` settles the job once."""

    def __init__(
        self,
        job: Job,
        opened: OpenedForward,
        *,
        counted: Callable[[str], Usage],
        max_request_s: float,
    ) -> None:
        """``counted(text)``: the request and ``text`` counted, for a stream that ends without usage;
        the stream is cut at ``max_request_s`` (``relay.max_request_s``) like every other stream."""
        self._opened = opened
        self._counted = counted
        self._decoder = SSEDecoder()
        self._final: dict[str, Any] | None = None
        self._deltas = DeliveredText(_delta_text)
        self._run = StreamRun(job, max_request_s)

    def frames(self) -> AsyncGenerator[bytes, None]:
        return self._run.guard(
            self._relayed(),
            lambda exc: _error_event(exc.message, StreamCut.code if isinstance(exc, StreamCut) else None),
        )

    async def _relayed(self) -> AsyncGenerator[bytes, None]:
        chunk = self._opened.first
        while chunk is not None:
            yield chunk
            self._note(chunk)  # reached only once the client took the chunk
            chunk = await self._run.next(self._opened.chunks)
        for payload in self._decoder.close():
            self._note_payload(payload)
        if self._final is None:
            self._run.upstream_error = UpstreamError("the upstream ended the stream before the response was complete")
            yield _error_event(self._run.upstream_error.message)

    def _note(self, chunk: bytes) -> None:
        for payload in self._decoder.feed(chunk):
            self._note_payload(payload)

    def _note_payload(self, payload: bytes) -> None:
        if _TEXT_DELTA in payload:
            self._deltas.add(payload)
        elif any(kind in payload for kind in _TERMINAL):
            try:
                event = orjson.loads(payload)
            except orjson.JSONDecodeError:
                return
            response = event.get("response") if isinstance(event, dict) else None
            if isinstance(response, dict) and str(event.get("type", "")).startswith("response."):
                self._final = response

    @property
    def final(self) -> dict[str, Any] | None:
        """The Response of the terminal event, once it was delivered."""
        return self._final

    @property
    def channel(self) -> Channel:
        return self._opened.channel

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.forwarded.aclose()
        final, run = self._final, self._run
        if final is not None and final.get("status") == "failed":
            error = final.get("error") if isinstance(final.get("error"), dict) else {}
            message = str((error or {}).get("message") or "the upstream failed the response")
            usage = usage_of(final)
            if usage is None:
                await run.job.fail(UpstreamError(message))
            else:
                await run.job.succeed(usage, status=502, error=message)
            return
        if final is not None:  # a terminal event that was delivered is billed, whatever broke after it
            run.completed, run.upstream_error = True, None
        await run.settle(lambda: usage_of(final) or self._counted(self._deltas.text()))
