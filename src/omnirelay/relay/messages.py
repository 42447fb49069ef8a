"""Anthropic Messages end to end: check, reserve, route with failover, settle.

Each channel of the model is tried in routing order, inside the same gate attempt either way:
an ``anthropic`` channel (a :class:`~omnirelay.providers.base.Forwarder` of
``anthropic.messages``) gets the client's request natively, untouched but for the mapped model
name, with ``anthropic-version`` and ``anthropic-beta``; any other channel gets it converted to an
OpenAI chat completion (``relay/messages_convert.py``). Failover happens only before the first
byte reaches the client, as for chat: a stream's first network read is taken before answering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.catalog import Catalog
from omnirelay.channels.affinity_keys import affinity_key_for_anthropic, affinity_key_for_header
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest
from omnirelay.providers.anthropic.forward import DIALECT, PASSED_HEADERS
from omnirelay.providers.anthropic.transform import openai_request_from_anthropic
from omnirelay.providers.base import ChatProvider, ForwardCall, Forwarder, Usage
from omnirelay.providers.openai_compat.transform import prepare_chat_body
from omnirelay.providers.registry import capable
from omnirelay.providers.usage import from_anthropic
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import ChatRelay, open_and_prime, upstream_call
from omnirelay.relay.chat_stream import ChatStreamSession
from omnirelay.relay.gate import JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.messages_convert import ConvertedStreamSession, converted_message
from omnirelay.relay.messages_stream import NativeStreamSession, open_native
from omnirelay.relay.messages_tokens import count_answer, count_messages_request

__all__ = ["ENDPOINT", "MessagesRelay", "MessagesRequest", "StreamSession", "forward_call", "native_forwarder"]

ENDPOINT = "/v1/messages"
"""The endpoint name in request logs."""

StreamSession = NativeStreamSession | ConvertedStreamSession


@dataclass(frozen=True, slots=True)
class MessagesRequest:
    """A client's Messages request as it arrived: parsed, raw, and the headers that pass through."""

    body: dict[str, Any]
    raw: bytes
    headers: Mapping[str, str]

    @classmethod
    def read(cls, raw: bytes, headers: Mapping[str, str]) -> MessagesRequest:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(f"The request body is not valid JSON: {exc}.") from exc
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.")
        passed = {name: headers[name] for name in PASSED_HEADERS if name in headers}
        return cls(body, raw, passed)

    def body_for(self, upstream_model: str) -> bytes:
        """The raw body, or a copy with only the model replaced when the channel maps it."""
        if self.body.get("model") == upstream_model:
            return self.raw
        return orjson.dumps({**self.body, "model": upstream_model})


def native_forwarder(providers: Mapping[str, object], channel: Channel) -> Forwarder | None:
    """The channel's provider when it relays Anthropic Messages natively to this channel."""
    provider = capable(providers, channel.type, Forwarder)
    if provider is not None and provider.forwards(channel, DIALECT):
        return provider
    return None


def forward_call(channel: Channel, request: MessagesRequest, model: str, path: str, *, stream: bool) -> ForwardCall:
    return ForwardCall(
        base_url=channel.base_url,
        secret=channel.next_secret(),
        path=path,
        body=request.body_for(channel.upstream_model(model)),
        headers=request.headers,
        stream=stream,
        timeout_s=channel.timeout_s,
    )


def _checked(body: dict[str, Any]) -> tuple[str, int]:
    """The model and ``max_tokens``, or the 400 Anthropic would answer (other fields are the upstream's)."""
    model, limit = body.get("model"), body.get("max_tokens")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("model: Field required", param="model")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise InvalidRequest("max_tokens: a positive integer is required.", param="max_tokens")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("messages: a non-empty list is required.", param="messages")
    return model, limit


@dataclass(frozen=True, slots=True)
class _Answer:
    raw: bytes
    usage: Usage


class MessagesRelay:
    """One per request (cheap): the chat relay's gate, counter and settings, the runtime's providers."""

    def __init__(
        self, chat: ChatRelay, catalog: Catalog, providers: Mapping[str, object], affinity_header: str | None
    ) -> None:
        self._chat = chat
        self._catalog = catalog
        self._providers = providers
        self._affinity_header = affinity_header
        self._converted: dict[str, Any] | InvalidRequest | None = None

    async def begin(self, caller: Caller, request: MessagesRequest, request_id: str) -> Job:
        """Check the request, scopes and price; admit and reserve (prompt bound: the body's bytes)."""
        model, limit = _checked(request.body)
        if not self._any_native(model):
            self._openai(request)  # a request that cannot be converted is refused before reserving
        affinity = affinity_key_for_header(request.headers, self._affinity_header, model)
        job_request = JobRequest(
            ENDPOINT,
            model,
            len(request.raw),
            limit,
            stream=request.body.get("stream") is True,
            affinity=affinity or affinity_key_for_anthropic(request.body),
        )
        return await self._chat.gate.open_job(caller, job_request, request_id)

    def _any_native(self, model: str) -> bool:
        channels = self._catalog.snapshot.by_model.get(model, ())
        return any(native_forwarder(self._providers, c) is not None for c in channels)

    def _openai(self, request: MessagesRequest) -> dict[str, Any]:
        """The request as an OpenAI chat completion (converted once; its 400 raised where needed)."""
        if self._converted is None:
            try:
                self._converted = openai_request_from_anthropic(request.body)
            except InvalidRequest as exc:
                self._converted = exc
        if isinstance(self._converted, InvalidRequest):
            raise self._converted
        return self._converted

    async def complete(self, job: Job, request: MessagesRequest) -> bytes:
        """A non-streamed answer; the job is settled or refunded before this returns."""

        async def attempt(provider: ChatProvider, channel: Channel) -> _Answer:
            forwarder = native_forwarder(self._providers, channel)
            if forwarder is not None:
                forwarded = await forwarder.forward(forward_call(channel, request, job.model, "messages", stream=False))
                return self._native_answer(await forwarded.read(), request)
            body = self._openai(request)
            prepared = prepare_chat_body(body, channel.upstream_model(job.model), stream=False)
            result = await provider.complete(upstream_call(channel, prepared))
            usage = self._chat.usage_or_count(result.usage, body, result.completion_text)
            return _Answer(converted_message(result, usage), usage)

        answer = await self._chat.gate.run(job, ChatProvider, attempt)
        await job.succeed(answer.usage)
        return answer.raw

    def _native_answer(self, raw: bytes, request: MessagesRequest) -> _Answer:
        try:
            message: Any = orjson.loads(raw)
        except orjson.JSONDecodeError:
            message = {}
        message = message if isinstance(message, dict) else {}
        usage = from_anthropic(message.get("usage"))
        if usage is None:  # billed on the gateway's count (the client still gets the upstream's bytes)
            tokens = self._chat.tokens
            usage = Usage(count_messages_request(tokens, request.body), count_answer(tokens, message))
        return _Answer(raw, usage)

    async def open_stream(self, job: Job, request: MessagesRequest) -> StreamSession:
        """Open a stream and read its first bytes (failing over until one channel delivers them)."""

        async def attempt(provider: ChatProvider, channel: Channel) -> StreamSession:
            forwarder = native_forwarder(self._providers, channel)
            if forwarder is not None:
                call = forward_call(channel, request, job.model, "messages", stream=True)
                opened = await open_native(await forwarder.forward(call), channel.base_url)
                chat = self._chat
                return NativeStreamSession(
                    job, request.body, opened, tokens=chat.tokens, max_request_s=chat.max_request_s
                )
            body = self._openai(request)
            prepared = prepare_chat_body(body, channel.upstream_model(job.model), stream=True)
            chat_opened = await open_and_prime(provider, upstream_call(channel, prepared))
            return ConvertedStreamSession(ChatStreamSession(self._chat, job, body, chat_opened), job.model)

        return await self._chat.gate.run(job, ChatProvider, attempt)
