"""A faithful fake of the Anthropic Messages API, with the same fault knobs as FakeOpenAI.

``POST /v1/messages`` (plain and streamed: ``message_start``, ``ping``, content blocks,
``message_delta``, ``message_stop``), tool use when the prompt names a tool, images, and
``GET /v1/models``. It requires ``anthropic-version`` and, when ``api_key`` is set, that key
in ``x-api-key`` or ``Authorization: Bearer``. Usage is deterministic (words), so tests can assert exact bills::

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

from omnirelay.testing._fake_messages import MessageAnswer, build_message_answer, request_problem
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
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/messages", self._messages, methods=["POST"]),
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
        problem = request_problem(body)
        if problem is not None:
            return _error(400, problem)
        answer = build_message_answer(body, self.knobs.reply, self.knobs.chunks)
        if self.knobs.latency_s:
            await asyncio.sleep(self.knobs.latency_s)
        message_id = "msg_" + secrets.token_hex(12)
        if body.get("stream") is True:
            response: Response = _DroppingResponse(self._stream(body, answer, message_id), "text/event-stream")
        elif self.knobs.reset_before_first_chunk:
            response = _DroppingResponse(self._drop_now(), "application/json")
        else:
            response = Response(orjson.dumps(self._message(body, answer, message_id)), media_type="application/json")
        response.headers["request-id"] = "req_" + secrets.token_hex(8)
        return response

    async def _drop_now(self) -> AsyncIterator[bytes]:
        raise UpstreamDrop("connection dropped before the first byte (knob)")
        yield b""  # pragma: no cover - makes this an async generator

    def _message(self, body: dict[str, Any], answer: MessageAnswer, message_id: str) -> dict[str, Any]:
        return {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": answer.content,
            "stop_reason": answer.stop_reason,
            "stop_sequence": answer.stop_sequence,
            "usage": {
                "input_tokens": answer.input_tokens,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": answer.output_tokens,
            },
        }

    async def _stream(self, body: dict[str, Any], answer: MessageAnswer, message_id: str) -> AsyncIterator[bytes]:
        knobs = self.knobs
        if knobs.reset_before_first_chunk:
            raise UpstreamDrop("connection dropped before the first chunk (knob)")
        start = self._message(body, answer, message_id)
        start.update(content=[], stop_reason=None, stop_sequence=None)
        start["usage"] = {**start["usage"], "output_tokens": 1}
        yield _event({"type": "message_start", "message": start}) + _event({"type": "ping"})
        sent = 0
        for index, block in enumerate(answer.content):
            empty = {**block, "input": {}} if block["type"] == "tool_use" else {**block, "text": ""}
            yield _event({"type": "content_block_start", "index": index, "content_block": empty})
            for delta in answer.deltas(block):
                if knobs.cut_stream_after is not None and sent >= knobs.cut_stream_after:
                    raise UpstreamDrop("stream cut (knob)")
                if knobs.chunk_delay_s:
                    await asyncio.sleep(knobs.chunk_delay_s)
                sent += 1
                yield _event({"type": "content_block_delta", "index": index, "delta": delta})
            yield _event({"type": "content_block_stop", "index": index})
        stop = {"stop_reason": answer.stop_reason, "stop_sequence": answer.stop_sequence}
        yield _event({"type": "message_delta", "delta": stop, "usage": {"output_tokens": answer.output_tokens}})
        yield _event({"type": "message_stop"})
