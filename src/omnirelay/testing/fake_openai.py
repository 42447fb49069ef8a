"""A faithful fake of the OpenAI chat API, with knobs for the failures a gateway must survive.

Usage counts are deterministic (words), so tests can assert exact bills::

    fake = FakeOpenAI(FakeOpenAIKnobs(latency_s=0.1))
    with serve_in_thread(fake.app) as url:
        ...  # point a channel at url + "/v1"; flip fake.knobs.status = 500 between calls
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from omnirelay.testing._fake_audio import audio_routes
from omnirelay.testing._fake_chat import Answer, build_answer, prompt_tokens
from omnirelay.testing._fake_embeddings import embeddings_answer
from omnirelay.testing._fake_images import image_routes
from omnirelay.testing._fake_legacy import legacy_routes
from omnirelay.testing._fake_responses import responses_routes
from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeOpenAI", "FakeOpenAIKnobs", "RecordedRequest", "run_fake_openai"]


class UpstreamDrop(Exception):
    """Raised inside the app to make uvicorn drop the connection mid-response."""


@dataclass
class FakeOpenAIKnobs:
    latency_s: float = 0.0
    status: int | None = None
    error_message: str = "fake upstream error"
    fail_times: int | None = None
    reset_before_first_chunk: bool = False
    cut_stream_after: int | None = None
    include_usage: bool = True
    usage_override: dict[str, Any] | None = None
    """Fields laid over the usage the fake reports (e.g. ``{"prompt_tokens": -1000}``): a lying upstream."""
    continuous_usage: bool = False
    """Every streamed chunk carries the usage so far (vLLM's ``continuous_usage_stats``)."""
    chunk_delay_s: float = 0.0
    reply: str | None = None
    chunks: int | None = None
    api_key: str | None = None
    models: list[str] = field(default_factory=lambda: ["gpt-4o-mini", "gpt-test"])
    cached_tokens: int = 0
    """Responses API: ``input_tokens_details.cached_tokens`` (a part of ``input_tokens``)."""
    cache_write_tokens: int = 0
    """Responses API: ``input_tokens_details.cache_write_tokens`` (a part of ``input_tokens``)."""
    reasoning_tokens: int | None = None
    """Responses API: ``output_tokens_details.reasoning_tokens`` when the model reasons (default: words)."""
    incomplete_reason: str | None = None
    """Responses API: end every response ``incomplete`` with this reason (``max_output_tokens``, ``content_filter``)."""
    fail_stream_after: int | None = None
    """Responses API: end a stream with ``response.failed`` after this many deltas."""
    garbage_stream: bool = False
    """Chat streams answer 200 and then events that are not JSON (a broken upstream or proxy)."""


def _error(status: int, message: str, type_: str, code: str | None, param: str | None = None) -> Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


class _DroppingResponse(Response):
    """Sends the 200 head, then ``body_parts``, then drops the connection (or ends normally)."""

    def __init__(self, parts: AsyncIterator[bytes], media_type: str) -> None:
        super().__init__(media_type=media_type)
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self._parts = parts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async for part in self._parts:
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class FakeOpenAI:
    def __init__(self, knobs: FakeOpenAIKnobs | None = None) -> None:
        self.knobs = knobs or FakeOpenAIKnobs()
        self.requests: list[RecordedRequest] = []
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/embeddings", self._embeddings, methods=["POST"]),
                *audio_routes(self),
                *image_routes(self),
                *responses_routes(self),
                *legacy_routes(self),
            ]
        )

    async def _record(self, request: Request) -> Any:
        return await record_json(request, self.requests)

    def _refusal(self, request: Request) -> Response | None:
        knobs = self.knobs
        if knobs.api_key is not None and request.headers.get("authorization") != f"Bearer {knobs.api_key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
        if knobs.status is None:
            return None
        if knobs.fail_times is not None:
            if knobs.fail_times <= 0:
                return None
            knobs.fail_times -= 1
        return _error(
            knobs.status, knobs.error_message, "server_error" if knobs.status >= 500 else "invalid_request_error", None
        )

    async def _models(self, request: Request) -> Response:
        await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        data = [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "fake-openai"} for m in self.knobs.models
        ]
        return Response(orjson.dumps({"object": "list", "data": data}), media_type="application/json")

    async def _embeddings(self, request: Request) -> Response:
        body = await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if not isinstance(body, dict) or not body.get("model") or not body.get("input"):
            return _error(400, "'model' and 'input' are required.", "invalid_request_error", None, "input")
        if self.knobs.latency_s:
            await asyncio.sleep(self.knobs.latency_s)
        answer = embeddings_answer(body, self.knobs.include_usage)
        return Response(orjson.dumps(answer), media_type="application/json")

    async def _chat(self, request: Request) -> Response:
        body = await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if not isinstance(body, dict):
            return _error(400, "We could not parse the JSON body of your request.", "invalid_request_error", None)
        for required in ("model", "messages"):
            if not body.get(required):
                return _error(
                    400, f"Missing required parameter: '{required}'.", "invalid_request_error", None, required
                )
        answer = build_answer(body, self.knobs.reply, self.knobs.chunks)
        if self.knobs.latency_s:
            await asyncio.sleep(self.knobs.latency_s)
        request_id = "req_" + secrets.token_hex(8)
        if body.get("stream") is True:
            response: Response = _DroppingResponse(self._stream(body, answer), "text/event-stream")
        elif self.knobs.reset_before_first_chunk:
            response = _DroppingResponse(self._drop_now(), "application/json")
        else:
            response = Response(orjson.dumps(self._completion(body, answer)), media_type="application/json")
        response.headers["x-request-id"] = request_id
        return response

    async def _drop_now(self) -> AsyncIterator[bytes]:
        raise UpstreamDrop("connection dropped before the first byte (knob)")
        yield b""  # pragma: no cover - makes this an async generator

    def _usage(self, body: dict[str, Any], answer: Answer, completion: int | None = None) -> dict[str, Any]:
        prompt = prompt_tokens(body.get("messages"))
        completion = answer.tokens if completion is None else completion
        usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
        return {**usage, **(self.knobs.usage_override or {})}

    def _completion(self, body: dict[str, Any], answer: Answer) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": answer.content, "refusal": None}
        if answer.tool_call is not None:
            message["tool_calls"] = [answer.tool_call]
        result: dict[str, Any] = {
            "id": "chatcmpl-" + secrets.token_hex(8),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": answer.finish_reason}],
        }
        if self.knobs.include_usage:
            result["usage"] = self._usage(body, answer)
        return result

    async def _stream(self, body: dict[str, Any], answer: Answer) -> AsyncIterator[bytes]:
        knobs = self.knobs
        if knobs.reset_before_first_chunk:
            raise UpstreamDrop("connection dropped before the first chunk (knob)")
        if knobs.garbage_stream:
            yield b"data: {this is not json\n\ndata: <html>502 Bad Gateway</html>\n\n"
            return
        options = body.get("stream_options") or {}
        with_usage = knobs.include_usage and isinstance(options, dict) and options.get("include_usage") is True
        base = {
            "id": "chatcmpl-" + secrets.token_hex(8),
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": body["model"],
            "system_fingerprint": "fp_fake",
        }
        sent = 0

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            if knobs.continuous_usage:
                return _sse({**base, "choices": [choice], "usage": self._usage(body, answer, sent)})
            return _sse({**base, "choices": [choice], **({"usage": None} if with_usage else {})})

        yield chunk({"role": "assistant", "content": "" if answer.tool_call is None else None})
        for sent, delta in enumerate(answer.deltas(), start=1):
            if knobs.cut_stream_after is not None and sent > knobs.cut_stream_after:
                raise UpstreamDrop("stream cut (knob)")
            if knobs.chunk_delay_s:
                await asyncio.sleep(knobs.chunk_delay_s)
            yield chunk(delta)
        yield chunk({}, answer.finish_reason)
        if with_usage:
            yield _sse({**base, "choices": [], "usage": self._usage(body, answer)})
        yield b"data: [DONE]\n\n"


def run_fake_openai(host: str, port: int, knobs: FakeOpenAIKnobs) -> None:
    """Blocking: serve a :class:`FakeOpenAI` on ``host:port`` (``omnirelay fake-upstream openai``)."""
    uvicorn.run(FakeOpenAI(knobs).app, host=host, port=port, log_level="warning", access_log=False)
