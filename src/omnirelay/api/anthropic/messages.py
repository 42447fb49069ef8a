"""``POST /v1/messages``: Claude clients reach any upstream through the chat relay.

The Anthropic request becomes an OpenAI chat completion request and runs through
:class:`ChatRelay` exactly as ``/v1/chat/completions`` does (same billing, failover, logging
and disconnect handling); the answer, or the stream's chunks, are turned back into
Anthropic's shape. The key comes in ``x-api-key`` or ``Authorization: Bearer``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.access_log import note_caller, note_model
from omnirelay.api.body import read_json
from omnirelay.api.sse import SSEResponse, call_deadline
from omnirelay.errors import AuthenticationFailed
from omnirelay.providers.anthropic.stream import AnthropicEvents, error_event, event_frame
from omnirelay.providers.anthropic.transform import anthropic_message_from_openai, openai_request_from_anthropic
from omnirelay.providers.base import ChatResult
from omnirelay.providers.sse import SSEDecoder
from omnirelay.relay.auth import Caller, authenticate, bearer_token
from omnirelay.relay.chat import ChatRelay
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.runtime import Runtime

__all__ = ["ENDPOINT", "messages"]

ENDPOINT = "/v1/messages"
"""The endpoint name in request logs."""


def _identify(request: Request) -> tuple[Runtime, Caller]:
    runtime: Runtime = request.app.state.runtime
    token = request.headers.get("x-api-key") or bearer_token(request.headers.get("authorization"))
    if not token:
        raise AuthenticationFailed(
            "You didn't provide an API key. Send it as 'x-api-key: sk-...' (or 'Authorization: Bearer sk-...').",
            code="missing_api_key",
        )
    client = request.client.host if request.client else None
    caller = authenticate(runtime.catalog.snapshot, token, client)
    note_caller(request.scope, caller)
    return runtime, caller


def _message(relay: ChatRelay, result: ChatResult, body: dict[str, Any]) -> bytes:
    response = orjson.loads(result.raw)
    if not isinstance(response, dict):
        response = {}
    if result.usage is None:  # billed on counted tokens: report the same counts
        usage = relay.usage_or_count(None, body, result.completion_text)
        response["usage"] = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
    return orjson.dumps(anthropic_message_from_openai(response))


def _translate(payload: bytes, events: AnthropicEvents) -> list[dict[str, Any]]:
    if payload == b"[DONE]":
        return events.finish()
    try:
        chunk = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return []
    if not isinstance(chunk, dict):
        return []
    error = chunk.get("error")
    if isinstance(error, dict):  # the upstream broke mid-stream (the call is refunded)
        kind = "overloaded_error" if error.get("code") == "upstream_overloaded" else "api_error"
        return [error_event(kind, str(error.get("message") or "the upstream failed"))]
    return events.feed(chunk)


async def _anthropic_frames(frames: AsyncGenerator[bytes, None], model: str) -> AsyncGenerator[bytes, None]:
    """The relay's OpenAI event frames, re-encoded as Anthropic events."""
    decoder = SSEDecoder()
    events = AnthropicEvents(model)
    try:
        async for frame in frames:
            out = [event for payload in decoder.feed(frame) for event in _translate(payload, events)]
            if out:
                yield b"".join(event_frame(event) for event in out)
    finally:
        with contextlib.suppress(RuntimeError):  # a generator still running cannot be closed
            await frames.aclose()


async def messages(request: Request) -> Response | SSEResponse:
    runtime, caller = _identify(request)
    raw_body, size = await read_json(request, runtime.settings.server.max_body_bytes)
    if isinstance(raw_body, dict):
        note_model(request.scope, raw_body.get("model"))
    body = openai_request_from_anthropic(raw_body)
    request_id = runtime.request_ids.next()
    relay = runtime.chat
    job = await relay.begin(caller, body, size, request_id)
    job.endpoint = ENDPOINT
    if not job.stream:
        result = await relay.complete(job, body)
        headers = {"x-request-id": request_id, "request-id": request_id}
        return Response(_message(relay, result, body), media_type="application/json", headers=headers)
    opened = await relay.open_stream(job, body)
    session = ChatStreamSession(relay, job, body, opened)
    ids = [(b"x-request-id", request_id.encode()), (b"request-id", request_id.encode())]
    deadline = call_deadline(job.started, runtime.settings.relay)
    return SSEResponse(_anthropic_frames(session.frames(), body["model"]), session.finish, ids, deadline=deadline)
