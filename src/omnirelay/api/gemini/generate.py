"""``:generateContent`` and ``:streamGenerateContent``: Gemini clients reach any upstream.

On a channel that speaks Gemini the body is relayed untouched (``relay/gemini.py``) and so is the
answer, byte for byte, stream or not. On any other channel the request becomes an OpenAI chat
completion request (``to_chat.py``) and runs like ``/v1/chat/completions`` does (same billing,
failover, logging and disconnect handling, the stream through :class:`ChatStreamSession`); the
answer, or the stream's chunks, are turned back into Gemini's shape (``from_chat.py``,
``stream.py``). Without ``alt=sse`` a stream is Gemini's JSON array of fragments.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.gemini.from_chat import generate_response
from omnirelay.api.gemini.intake import identify, parse_body
from omnirelay.api.gemini.stream import GeminiFragments, gemini_frames
from omnirelay.api.gemini.to_chat import chat_request, gemini_request
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.providers.base import ChatResult, Usage
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.relay.gate import JobRequest
from omnirelay.relay.gemini import GeminiCall, GeminiRelay, NativeOpened
from omnirelay.relay.gemini_framing import GeminiFraming
from omnirelay.relay.gemini_stream import NativeStreamSession
from omnirelay.relay.gemini_tokens import count_gemini_request, response_text
from omnirelay.relay.gemini_usage import GeminiUsage
from omnirelay.relay.job import Job
from omnirelay.runtime import Runtime

__all__ = ["generate_content"]


def _output_tokens(request: dict[str, Any], default: int) -> int:
    config = request.get("generationConfig")
    config = config if isinstance(config, dict) else {}
    limit, candidates = config.get("maxOutputTokens"), config.get("candidateCount")
    per_candidate = limit if isinstance(limit, int) and limit > 0 else default
    return per_candidate * (candidates if isinstance(candidates, int) and candidates > 0 else 1)


def _include_thoughts(request: dict[str, Any]) -> bool:
    config = request.get("generationConfig")
    thinking = config.get("thinkingConfig") if isinstance(config, dict) else None
    return isinstance(thinking, dict) and thinking.get("includeThoughts") is True


class _Generation:
    """One generate call's pieces, shared by the plain and the streamed answer."""

    def __init__(self, runtime: Runtime, call: GeminiCall, request: dict[str, Any]) -> None:
        self.runtime = runtime
        self.call = call
        self.request = request
        self.relay = GeminiRelay(runtime.gate)
        self.thoughts = _include_thoughts(request)

    @functools.cached_property
    def chat_body(self) -> dict[str, Any]:
        """The converted request, built only when a channel that needs it is tried."""
        return chat_request(self.call.body, self.call.model, stream=self.call.stream)

    def native_count(self, text: str) -> Usage:
        tokens = self.runtime.chat.tokens
        return Usage(count_gemini_request(tokens, self.request), tokens.count_text(text))

    def chat_count(self, text: str) -> Usage:
        return self.runtime.chat.usage_or_count(None, self.chat_body, text)

    async def answer(self, job: Job) -> bytes:
        result = await self.relay.generate(job, self.call, lambda: self.chat_body)
        if isinstance(result, ChatResult):
            return await self._converted(job, result)
        answer = _loaded(result)
        usage = GeminiUsage()
        usage.note(answer)
        await job.succeed(usage.usage or self.native_count(response_text(answer)))
        return result

    async def _converted(self, job: Job, result: ChatResult) -> bytes:
        usage = self.runtime.chat.usage_or_count(result.usage, self.chat_body, result.completion_text)
        await job.succeed(usage)
        completion = _loaded(result.raw)
        return orjson.dumps(generate_response(completion, usage, model=self.call.model, thoughts=self.thoughts))

    async def stream(self, job: Job, framing: GeminiFraming, headers: list[tuple[bytes, bytes]]) -> SSEResponse:
        opened = await self.relay.open_stream(job, self.call, lambda: self.chat_body)
        deadline = call_deadline(job.started, self.runtime.settings.relay)
        session: NativeStreamSession | ChatStreamSession
        if isinstance(opened, NativeOpened):
            session = NativeStreamSession(job, opened, framing, self.native_count, self.runtime.chat.max_request_s)
            frames = session.frames()
        else:
            session = ChatStreamSession(self.runtime.chat, job, self.chat_body, opened)
            fragments = GeminiFragments(self.call.model, self.thoughts, self.chat_count)
            frames = gemini_frames(session.frames(), fragments, framing)
        return SSEResponse(frames, session.finish, headers, deadline=deadline, media_type=framing.media_type)


def _loaded(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}


async def generate_content(request: Request, model: str, method: str) -> Response | SSEResponse:
    runtime, caller = identify(request)
    raw, body = await parse_body(request, runtime)
    stream = method == "streamGenerateContent"
    gemini = gemini_request(body)
    call = GeminiCall(model, method, raw, body, stream)
    generation = _Generation(runtime, call, gemini)
    request_id = runtime.request_ids.next()
    output = _output_tokens(gemini, runtime.settings.relay.default_output_tokens)
    job_request = JobRequest(f"gemini.{method}", model, len(raw), output, stream=stream)
    job = await generation.relay.begin(caller, job_request, request_id)
    if not stream:
        answer = await generation.answer(job)
        return Response(answer, media_type="application/json", headers={"x-request-id": request_id})
    framing = GeminiFraming(sse=request.query_params.get("alt") == "sse")
    return await generation.stream(job, framing, [(b"x-request-id", request_id.encode())])
