"""Relay an Anthropic event stream byte for byte, reading the usage as it passes, and bill it.

The client receives exactly the bytes the ``anthropic`` channel sent (``thinking_delta``,
``signature_delta``, ``server_tool_use`` blocks, ``ping``, events this gateway does not know).
:class:`EventWatch` reads only what billing needs, without changing a byte: the usage of
``message_start`` and of each ``message_delta`` (cumulative counts, so the last one wins:
``llm_surfaces.md`` §3.5), ``message_stop``, and an ``error`` event.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import orjson

from omnirelay.errors import UpstreamError
from omnirelay.providers.anthropic.errors import stream_error
from omnirelay.providers.anthropic.stream import error_event, event_frame
from omnirelay.providers.base import Forwarded, Usage
from omnirelay.providers.sse import SSEDecoder
from omnirelay.providers.usage import from_anthropic
from omnirelay.relay.job import Job
from omnirelay.relay.messages_tokens import count_deltas, count_messages_request
from omnirelay.relay.stream_session import StreamRun
from omnirelay.relay.tokens import TokenCounter

__all__ = ["EventWatch", "NativeOpened", "NativeStreamSession", "open_native"]

_WATCHED = (b'"message_start"', b'"message_delta"', b'"message_stop"', b'"error"')
"""Only payloads holding one of these JSON strings are parsed (a string value inside text would be escaped)."""


class EventWatch:
    """What billing needs from an Anthropic stream, fed its bytes as they pass through."""

    def __init__(self, hint: str) -> None:
        self._hint = hint
        self._decoder = SSEDecoder()
        self.fields: dict[str, Any] = {}
        self.stopped = False
        self.error: UpstreamError | None = None
        """The upstream's own ``error`` event (already in the bytes the client gets)."""

    def feed(self, data: bytes) -> None:
        for payload in self._decoder.feed(data):
            if any(mark in payload for mark in _WATCHED):
                self._event(payload)

    def _event(self, payload: bytes) -> None:
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        kind = event.get("type") if isinstance(event, dict) else None
        if kind == "message_start":
            usage = event["message"].get("usage") if isinstance(event.get("message"), dict) else None
            self.fields = dict(usage) if isinstance(usage, dict) else {}
        elif kind == "message_delta" and isinstance(event.get("usage"), dict):
            self.fields.update({k: v for k, v in event["usage"].items() if v is not None})
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error" and isinstance(event, dict):
            self.error = stream_error(event, self._hint)

    @property
    def usage(self) -> Usage | None:
        return from_anthropic(self.fields)


@dataclass(slots=True)
class NativeOpened:
    """A forwarded stream whose first network read arrived (and held no ``error`` event)."""

    forwarded: Forwarded
    reads: AsyncIterator[bytes]
    first: bytes | None
    watch: EventWatch


async def open_native(forwarded: Forwarded, hint: str) -> NativeOpened:
    """Read the first bytes before the client sees any: an early failure still fails over."""
    reads = forwarded.__aiter__()
    watch = EventWatch(hint)
    try:
        first = await anext(reads, None)
        if first is not None:
            watch.feed(first)
        if watch.error is not None:
            raise watch.error
    except BaseException:
        await forwarded.aclose()
        raise
    return NativeOpened(forwarded, reads, first, watch)


class NativeStreamSession:
    """The upstream's bytes for the client; :meth:`finish` settles the job once, whatever happened.

    Outcomes: ``message_stop`` arrived (bill the upstream's usage); the client went away or the
    gateway cut the stream at ``relay.max_request_s`` (bill the usage reported so far, its output
    never below the tokens of the deltas delivered, or the gateway's count when none was
    reported); the upstream failed (an ``error`` event, a broken connection, an end without
    ``message_stop``: refund all, and the client gets an Anthropic ``error`` event).
    """

    def __init__(
        self, job: Job, body: dict[str, Any], opened: NativeOpened, *, tokens: TokenCounter, max_request_s: float
    ) -> None:
        self._body = body
        self._opened = opened
        self._tokens = tokens
        self._delivered: list[bytes] = []
        self._run = StreamRun(job, max_request_s)

    def frames(self) -> AsyncGenerator[bytes, None]:
        return self._run.guard(self._relayed(), _error_frame)

    async def _relayed(self) -> AsyncGenerator[bytes, None]:
        opened, watch = self._opened, self._opened.watch
        data = opened.first
        while data is not None:
            yield data
            self._delivered.append(data)  # reached only once the client took the bytes
            if watch.error is not None or watch.stopped:
                break
            data = await self._run.next(opened.reads)
            if data is not None:
                watch.feed(data)
        closing = self._end()
        if closing is not None:
            yield closing

    def _end(self) -> bytes | None:
        """Note how the upstream's stream ended; the error event the client still needs, if any."""
        watch = self._opened.watch
        if watch.error is not None:  # the upstream's own error event already reached the client
            self._run.upstream_error = watch.error
        elif watch.stopped:
            self._run.completed = True
        else:
            self._run.upstream_error = UpstreamError("the upstream ended the stream before message_stop")
            return _error_frame(self._run.upstream_error)
        return None

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.forwarded.aclose()
        await self._run.settle(self._usage)

    def _usage(self) -> Usage:
        reported = self._opened.watch.usage
        if self._run.completed and reported is not None:
            return reported
        output = count_deltas(self._tokens, _delivered_deltas(self._delivered))
        if reported is None:
            return Usage(count_messages_request(self._tokens, self._body), output)
        return replace(reported, completion_tokens=max(reported.completion_tokens, output))


def _error_frame(exc: UpstreamError) -> bytes:
    kind = (
        "overloaded_error"
        if exc.code == "upstream_overloaded"
        else "timeout_error"
        if exc.status_code == 504
        else "api_error"
    )
    return event_frame(error_event(kind, exc.message))


def _delivered_deltas(delivered: list[bytes]) -> list[dict[str, Any]]:
    """The ``delta`` objects of the ``content_block_delta`` events the client received."""
    decoder = SSEDecoder()
    deltas: list[dict[str, Any]] = []
    for payload in (p for data in delivered for p in decoder.feed(data)):
        if b"content_block_delta" not in payload:
            continue
        try:
            event = orjson.loads(payload)
        except orjson.JSONDecodeError:
            continue
        if isinstance(event, dict) and isinstance(event.get("delta"), dict):
            deltas.append(event["delta"])
    return deltas
