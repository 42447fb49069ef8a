"""Relay a streamed chat completion to the client and bill exactly what was delivered."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from typing import Any

import orjson

from omnirelay.errors import UpstreamError, UpstreamTimeout
from omnirelay.providers.base import Usage
from omnirelay.providers.openai_compat.transform import chunk_text, is_usage_only_chunk, wants_usage_chunk
from omnirelay.relay.chat import ChatRelay, OpenedStream
from omnirelay.relay.job import Job

__all__ = ["ChatStreamSession"]

_DONE = b"data: [DONE]\n\n"


def _frames(payloads: list[bytes]) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads)


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
        self._job = job
        self._body = body
        self._opened = opened
        self._wants_usage = wants_usage_chunk(body)
        self._usage: Usage | None = None
        self._delivered: list[bytes] = []
        self._completed = False
        self._cut: UpstreamTimeout | None = None
        self._upstream_error: UpstreamError | None = None

    async def frames(self) -> AsyncGenerator[bytes, None]:
        delivered = self._delivered
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._relay.max_request_s - (time.perf_counter() - self._job.started)
        try:
            batch = self._opened.first
            while batch is not None:
                kept = [p for p in batch if self._keep(p)]
                if kept:
                    yield _frames(kept)
                    delivered.extend(kept)  # reached only once the client took the frames
                timer = asyncio.timeout_at(deadline)
                try:
                    async with timer:
                        batch = await anext(self._opened.events, None)
                except TimeoutError:
                    if not timer.expired():
                        raise
                    self._cut = self._deadline_error()
                    yield _error_frame(self._cut)
                    return
        except UpstreamError as exc:
            self._upstream_error = exc
            yield _error_frame(exc)
            return
        except Exception as exc:  # a fault of ours must not cost the client: refund, then report it
            self._upstream_error = UpstreamError(f"the stream failed inside the gateway: {exc}")
            raise
        yield _DONE
        self._completed = True

    def _deadline_error(self) -> UpstreamTimeout:
        limit = self._relay.max_request_s
        return UpstreamTimeout(
            f"The gateway ended this stream after relay.max_request_s ({limit:g} s); "
            "what was delivered is billed. Ask for fewer tokens, or ask the operator to raise the limit.",
            code="max_request_time",
        )

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

    def _delivered_text(self) -> str:
        texts: list[str] = []
        for payload in self._delivered:
            try:
                chunk = orjson.loads(payload)
            except orjson.JSONDecodeError:
                continue
            if isinstance(chunk, dict):
                texts.append(chunk_text(chunk))
        return "".join(texts)

    async def finish(self) -> None:
        """Close the upstream and settle: call exactly once, from a ``finally``."""
        await self._opened.stream.aclose()
        job = self._job
        if self._upstream_error is not None:
            await job.fail(self._upstream_error)
            return
        usage = self._usage  # re-read the delivered frames only when the upstream sent no usage
        if usage is None:
            usage = self._relay.usage_or_count(None, self._body, self._delivered_text())
        if self._completed:
            await job.succeed(usage)
        elif self._cut is not None:
            await job.succeed(usage, status=self._cut.status_code, error=self._cut.message)
        else:
            await job.succeed(usage, status=499, error="client disconnected mid-stream")
