"""A faithful fake of the Anthropic Messages API, with the same fault knobs as FakeOpenAI.

``POST /v1/messages`` (plain and streamed: ``message_start``, ``ping``, content blocks,
``message_delta``, ``message_stop``), tool use when the prompt names a tool, images,
``POST /v1/messages/count_tokens`` and ``GET /v1/models``. It requires ``anthropic-version``
and, when ``api_key`` is set, that key in ``x-api-key`` or ``Authorization: Bearer``.

What a Claude Code-class client relies on is there too: ``thinking`` answers a signed thinking
block (streamed as ``thinking_delta`` then ``signature_delta``; ``redacted_thinking`` knob adds
a redacted block) and a replayed block the fake did not issue is refused (``_fake_thinking.py``);
``cache_control`` breakpoints are written then read, split 5 m / 1 h (``_fake_cache.py``); the
web search server tool runs a search counted in ``usage.server_tool_use``; ``service_tier`` is
echoed in ``usage``. Usage is deterministic (words), so tests can assert exact bills::

    fake = FakeAnthropic(FakeAnthropicKnobs(status=529, fail_times=1))
    with serve_in_thread(fake.app) as url:
        ...  # point an ``anthropic`` channel at url (no /v1)
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._fake_cache import CacheUsage, PromptCache
from omnirelay.testing._fake_messages import MessageAnswer, build_message_answer, request_problem
from omnirelay.testing._fake_thinking import Signatures, thinking_problem, wants_thinking
from omnirelay.testing._recording import RecordedRequest, record_json
from omnirelay.testing.fake_openai import UpstreamDrop, _DroppingResponse

__all__ = ["FakeAnthropic", "FakeAnthropicKnobs"]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class FakeAnthropicKnobs:
    latency_s: float = 0.0
    status: int | None = None
    error_message: str = "fake upstream error"
    fail_times: int | None = None
    reset_before_first_chunk: bool = False
    cut_stream_after: int | None = None
    chunk_delay_s: float = 0.0
    reply: str | None = None
    chunks: int | None = None
    api_key: str | None = None
    redacted_thinking: bool = False
    """Answer a ``redacted_thinking`` block after the thinking block (when thinking is on)."""
    models: list[str] = field(default_factory=lambda: ["claude-test", "claude-sonnet-4-5"])


def _error(status: int, message: str) -> Response:
    kind = _ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request_error")
    body = {"type": "error", "error": {"type": kind, "message": message}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _event(data: dict[str, Any]) -> bytes:
    return b"event: " + str(data["type"]).encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class FakeAnthropic:
    def __init__(self, knobs: FakeAnthropicKnobs | None = None) -> None:
        self.knobs = knobs or FakeAnthropicKnobs()
        self.requests: list[RecordedRequest] = []
        self.signatures = Signatures()
        self.cache = PromptCache()
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/messages", self._messages, methods=["POST"]),
                Route("/v1/messages/count_tokens", self._count_tokens, methods=["POST"]),
            ]
        )

    async def _record(self, request: Request) -> Any:
        return await record_json(request, self.requests)

    def _refusal(self, request: Request) -> Response | None:
        knobs = self.knobs
        keys = {request.headers.get("x-api-key"), request.headers.get("authorization", "").removeprefix("Bearer ")}
        if knobs.api_key is not None and knobs.api_key not in keys:
            return _error(401, "invalid x-api-key")
        if not request.headers.get("anthropic-version"):
            return _error(400, "anthropic-version: header is required")
        if knobs.status is None:
            return None
        if knobs.fail_times is not None:
            if knobs.fail_times <= 0:
                return None
            knobs.fail_times -= 1
        return _error(knobs.status, knobs.error_message)

    async def _models(self, request: Request) -> Response:
        await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        created = "2025-01-01T00:00:00Z"
        data = [{"type": "model", "id": m, "display_name": m, "created_at": created} for m in self.knobs.models]
        first, last = (data[0]["id"], data[-1]["id"]) if data else (None, None)
        page = {"data": data, "has_more": False, "first_id": first, "last_id": last}
        return Response(orjson.dumps(page), media_type="application/json")

    async def _messages(self, request: Request) -> Response:
        body = await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        problem = request_problem(body) or thinking_problem(body) or self.signatures.problem(body)
        if problem is not None:
            return _error(400, problem)
        answer = build_message_answer(body, self.knobs.reply, self.knobs.chunks, self._thinking(body))
        cache = self.cache.account(body)
        if self.knobs.latency_s:
            await asyncio.sleep(self.knobs.latency_s)
        message_id = "msg_" + secrets.token_hex(12)
        if body.get("stream") is True:
            stream = self._stream(body, answer, cache, message_id)
            response: Response = _DroppingResponse(stream, "text/event-stream")
        elif self.knobs.reset_before_first_chunk:
            response = _DroppingResponse(self._drop_now(), "application/json")
        else:
            message = self._message(body, answer, cache, message_id)
            response = Response(orjson.dumps(message), media_type="application/json")
        response.headers["request-id"] = "req_" + secrets.token_hex(8)
        return response

    def _thinking(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        if not wants_thinking(body):
            return []
        words = " ".join(str(body["messages"][-1].get("content"))[:60].split())
        text = f"Let me think about {words}"
        blocks = [{"type": "thinking", "thinking": text, "signature": self.signatures.sign(text)}]
        if self.knobs.redacted_thinking:
            blocks.append({"type": "redacted_thinking", "data": self.signatures.redacted()})
        return blocks

    async def _count_tokens(self, request: Request) -> Response:
        """A deterministic count: a quarter of the characters of the prompt's JSON (rounded up)."""
        body = await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body.get("messages"):
            return _error(400, "model and messages: Field required")
        prompt = {k: body[k] for k in ("system", "tools", "messages") if k in body}
        return Response(
            orjson.dumps({"input_tokens": -(-len(orjson.dumps(prompt)) // 4)}), media_type="application/json"
        )

    async def _drop_now(self) -> AsyncIterator[bytes]:
        raise UpstreamDrop("connection dropped before the first byte (knob)")
        yield b""  # pragma: no cover - makes this an async generator

    def _usage(self, body: dict[str, Any], answer: MessageAnswer, cache: CacheUsage) -> dict[str, Any]:
        usage: dict[str, Any] = {**cache.fields(), "output_tokens": answer.output_tokens}
        if answer.thinking_tokens:
            usage["output_tokens_details"] = {"thinking_tokens": answer.thinking_tokens}
        if answer.web_searches:
            usage["server_tool_use"] = {"web_search_requests": answer.web_searches, "web_fetch_requests": 0}
        usage["service_tier"] = "priority" if body.get("service_tier") == "auto" else "standard"
        return usage

    def _message(
        self, body: dict[str, Any], answer: MessageAnswer, cache: CacheUsage, message_id: str
    ) -> dict[str, Any]:
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": answer.content,
            "stop_reason": answer.stop_reason,
            "stop_sequence": answer.stop_sequence,
            "usage": self._usage(body, answer, cache),
        }

    async def _stream(
        self, body: dict[str, Any], answer: MessageAnswer, cache: CacheUsage, message_id: str
    ) -> AsyncIterator[bytes]:
        knobs = self.knobs
        if knobs.reset_before_first_chunk:
            raise UpstreamDrop("connection dropped before the first chunk (knob)")
        start = self._message(body, answer, cache, message_id)
        start.update(content=[], stop_reason=None, stop_sequence=None)
        usage = start["usage"]
        start["usage"] = {**cache.fields(), "output_tokens": 1, "service_tier": usage["service_tier"]}
        yield _event({"type": "message_start", "message": start}) + _event({"type": "ping"})
        sent = 0
        for index, block in enumerate(answer.content):
            yield _event({"type": "content_block_start", "index": index, "content_block": _opening(block)})
            for delta in answer.deltas(block):
                if knobs.cut_stream_after is not None and sent >= knobs.cut_stream_after:
                    raise UpstreamDrop("stream cut (knob)")
                if knobs.chunk_delay_s:
                    await asyncio.sleep(knobs.chunk_delay_s)
                sent += 1
                yield _event({"type": "content_block_delta", "index": index, "delta": delta})
            yield _event({"type": "content_block_stop", "index": index})
        stop = {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence}
        yield _event({"type": "message_delta", "delta": stop, "usage": usage})  # cumulative counts (§3.5)
        yield _event({"type": "message_stop"})


def _opening(block: dict[str, Any]) -> dict[str, Any]:
    """The block as ``content_block_start`` carries it: empty when deltas follow, whole otherwise."""
    kind = block["type"]
    if kind in ("tool_use", "server_tool_use"):
        return {**block, "input": {}}
    if kind == "thinking":
        return {**block, "thinking": "", "signature": ""}
    if kind == "text":
        return {**block, "text": ""}
    return block
