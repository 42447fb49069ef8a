"""Gemini-native calls end to end: each channel either relays them untouched or serves them converted.

Inside one failover loop, every channel of the model gets the call in its own way: a provider
that :meth:`~omnirelay.providers.base.Forwarder.forwards` the ``gemini`` dialect on that channel
receives the client's body as it came (only the model, in the path, renamed), so thought parts
and ``thoughtSignature`` round-trip byte for byte; any other channel is called through its
capability (chat completions for ``generateContent``, embeddings for ``embedContent``) with the
converted request the ingress supplies. Billing is the gate's: reserved before, settled after,
refunded when no channel answered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import orjson

from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamUnavailable
from omnirelay.providers.base import (
    ChatProvider,
    ChatResult,
    EmbeddingsProvider,
    ForwardCall,
    Forwarded,
    Forwarder,
)
from omnirelay.providers.openai_compat.transform import prepare_chat_body
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import OpenedStream, open_and_prime, upstream_call
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.priming import first_read

__all__ = [
    "DIALECT",
    "GeminiCall",
    "GeminiRelay",
    "NativeOpened",
    "native_or",
    "read_forwarded",
]

DIALECT = "gemini"
T = TypeVar("T")
Attempt = Callable[[Any, Channel], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class GeminiCall:
    """One Gemini API call as the client sent it."""

    model: str
    """The model named in the path (bare id)."""
    method: str
    """``generateContent``, ``streamGenerateContent``, ``countTokens``, ``embedContent``..."""
    raw: bytes
    body: dict[str, Any]
    """``raw`` parsed (field names as the client wrote them)."""
    stream: bool = False


@dataclass(slots=True)
class NativeOpened:
    """A native stream the upstream accepted, with its first network read (failover ends at the first byte)."""

    forwarded: Forwarded
    reads: AsyncIterator[bytes]
    first: bytes | None


class _NativeOr(type):
    """Instances: providers that forward the Gemini dialect, or have the wrapped capability."""

    capability: type

    def __instancecheck__(cls, provider: object) -> bool:
        return isinstance(provider, Forwarder) or isinstance(provider, cls.capability)


def native_or(capability: type) -> type:
    """A capability for :meth:`Gate.run`: the channel relays Gemini natively or has ``capability``.

    Built once per capability (the registry caches ``isinstance`` answers per class)."""
    return _NativeOr(f"NativeOr{capability.__name__}", (), {"capability": capability})


NATIVE_OR_CHAT = native_or(ChatProvider)
NATIVE_OR_EMBEDDINGS = native_or(EmbeddingsProvider)


def retargeted(call: GeminiCall, upstream_model: str) -> bytes:
    """The body for the upstream: the client's bytes, unless it names the model (``countTokens``'
    ``generateContentRequest.model``, ``batchEmbedContents``' ``requests[].model``) and the
    channel maps the model to another name."""
    if upstream_model == call.model or b"models/" not in call.raw:
        return call.raw
    name = f"models/{upstream_model}"
    body = dict(call.body)
    if "model" in body:
        body["model"] = name
    nested = body.get("generateContentRequest")
    if isinstance(nested, dict) and "model" in nested:
        body["generateContentRequest"] = {**nested, "model": name}
    requests = body.get("requests")
    if isinstance(requests, list):
        body["requests"] = [{**r, "model": name} if isinstance(r, dict) and "model" in r else r for r in requests]
    return orjson.dumps(body)


async def read_forwarded(forwarded: Forwarded) -> bytes:
    try:
        return await forwarded.read()
    finally:
        await forwarded.aclose()


async def _prime_native(forwarded: Forwarded) -> NativeOpened:
    reads, first = await first_read(forwarded)
    return NativeOpened(forwarded, reads, first)


class GeminiRelay:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    async def begin(self, caller: Caller, request: JobRequest, request_id: str) -> Job:
        """Check the model, the key's scope and the price; admit and reserve the estimate."""
        return await self._gate.open_job(caller, request, request_id)

    def forward_call(self, call: GeminiCall, channel: Channel, upstream_model: str, *, stream: bool) -> ForwardCall:
        method = "streamGenerateContent" if stream else call.method
        return ForwardCall(
            base_url=channel.base_url,
            secret=channel.next_secret(),
            path=f"models/{upstream_model}:{method}",
            body=retargeted(call, upstream_model),
            headers={},
            query={"alt": "sse"} if stream else None,
            stream=stream,
            timeout_s=channel.timeout_s,
        )

    async def run(self, job: Job, capability: type, native: Attempt[T], other: Attempt[T]) -> T:
        """Try the model's channels in order: ``native(forwarder, channel)`` where the channel relays
        Gemini, ``other(provider, channel)`` where its provider has ``capability``."""

        async def attempt(provider: object, channel: Channel) -> T:
            if isinstance(provider, Forwarder) and provider.forwards(channel, DIALECT):
                return await native(provider, channel)
            inner = cast(_NativeOr, capability).capability
            if isinstance(provider, inner):
                return await other(provider, channel)
            raise UpstreamUnavailable(f"Channels of type {channel.type!r} cannot serve this endpoint.")

        return await self._gate.run(job, cast(type[object], capability), attempt)

    async def generate(self, job: Job, call: GeminiCall, chat_body: Callable[[], dict[str, Any]]) -> bytes | ChatResult:
        """A plain answer: the upstream's Gemini bytes (native) or a chat result to convert."""

        async def native(forwarder: Forwarder, channel: Channel) -> bytes:
            forward = self.forward_call(call, channel, channel.upstream_model(job.model), stream=False)
            return await read_forwarded(await forwarder.forward(forward))

        async def other(provider: ChatProvider, channel: Channel) -> ChatResult:
            prepared = prepare_chat_body(chat_body(), channel.upstream_model(job.model), stream=False)
            return await provider.complete(upstream_call(channel, prepared))

        result: bytes | ChatResult = await self.run(job, NATIVE_OR_CHAT, native, other)
        return result

    async def open_stream(
        self, job: Job, call: GeminiCall, chat_body: Callable[[], dict[str, Any]]
    ) -> NativeOpened | OpenedStream:
        """Open a stream and read its first bytes (failing over until one channel delivers them)."""

        async def native(forwarder: Forwarder, channel: Channel) -> NativeOpened:
            forward = self.forward_call(call, channel, channel.upstream_model(job.model), stream=True)
            return await _prime_native(await forwarder.forward(forward))

        async def other(provider: ChatProvider, channel: Channel) -> OpenedStream:
            prepared = prepare_chat_body(chat_body(), channel.upstream_model(job.model), stream=True)
            return await open_and_prime(provider, upstream_call(channel, prepared))

        opened: NativeOpened | OpenedStream = await self.run(job, NATIVE_OR_CHAT, native, other)
        return opened
