"""Chat completions end to end: check, reserve, route with failover, settle.

Failover happens only before the first byte reaches the client: for streams the first
event is read from the upstream before the response starts, so an upstream that resets
before its first chunk is retried on the next channel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from omnirelay.channels.affinity_keys import affinity_key_for_header, affinity_key_for_prompt_cache_key
from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest, UpstreamError
from omnirelay.providers.base import ChatProvider, ChatResult, ChatStream, UpstreamCall, Usage
from omnirelay.providers.openai_compat.transform import prepare_chat_body
from omnirelay.relay.auth import Caller
from omnirelay.relay.field_types import CHAT_FIELDS, check_field_types
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.priming import first_read
from omnirelay.relay.tokens import TokenCounter
from omnirelay.settings import RelaySettings

__all__ = ["ChatRelay", "OpenedStream", "open_and_prime", "primed", "upstream_call"]


@dataclass(slots=True)
class OpenedStream:
    stream: ChatStream
    events: AsyncIterator[list[bytes]]
    first: list[bytes] | None


def _requested_output(body: Mapping[str, Any], default: int) -> int:
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    per_choice = limit if isinstance(limit, int) and limit > 0 else default
    choices = body.get("n")
    return per_choice * (choices if isinstance(choices, int) and choices > 0 else 1)


def validate_chat_body(body: Any) -> str:
    """The requested model, or a clear 400 for a body that is not a chat completion request."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidRequest("'messages' must be a non-empty array of messages.", param="messages")
    check_field_types(body, CHAT_FIELDS)
    return model


def upstream_call(channel: Channel, body: dict[str, Any]) -> UpstreamCall:
    return UpstreamCall(base_url=channel.base_url, secret=channel.next_secret(), body=body, timeout_s=channel.timeout_s)


class ChatRelay:
    def __init__(self, *, gate: Gate, tokens: TokenCounter, settings: RelaySettings) -> None:
        self.gate = gate
        self.tokens = tokens
        self._settings = settings

    async def begin(
        self,
        caller: Caller,
        body: dict[str, Any],
        body_size: int,
        request_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        affinity: str | None = None,
    ) -> Job:
        """Check scopes and price, admit under the key's limits and reserve the estimate.

        ``affinity`` (an ingress's own conversation identity) wins over the body's
        ``prompt_cache_key``, which wins over the ``relay.affinity_header`` of ``headers``."""
        model = validate_chat_body(body)
        # body bytes bound the prompt's tokens from above: no tokenizer on the hot path
        output = _requested_output(body, self._settings.default_output_tokens)
        affinity = (
            affinity
            or affinity_key_for_prompt_cache_key(body)
            or affinity_key_for_header(headers or {}, self._settings.affinity_header, model)
        )
        request = JobRequest(
            "chat.completions", model, body_size, output, stream=body.get("stream") is True, affinity=affinity
        )
        return await self.gate.open_job(caller, request, request_id)

    @property
    def max_request_s(self) -> float:
        """The longest one call may run (``relay.max_request_s``); a stream is cut there."""
        return self._settings.max_request_s

    def usage_or_count(self, usage: Usage | None, body: Mapping[str, Any], completion_text: str) -> Usage:
        """The upstream's usage when it reported one, else the whole request and ``completion_text`` counted."""
        if usage is not None:
            return usage
        return Usage(self.tokens.count_request(body), self.tokens.count_text(completion_text))

    async def complete(self, job: Job, body: dict[str, Any]) -> ChatResult:
        """A non-streamed completion; the job is settled or refunded before this returns."""

        async def attempt(provider: ChatProvider, channel: Channel) -> ChatResult:
            prepared = prepare_chat_body(body, channel.upstream_model(job.model), stream=False)
            return await provider.complete(upstream_call(channel, prepared))

        result = await self.gate.run(job, ChatProvider, attempt)
        await job.succeed(self.usage_or_count(result.usage, body, result.completion_text))
        return result

    async def open_stream(self, job: Job, body: dict[str, Any]) -> OpenedStream:
        """Open a stream and read its first event (failing over until one channel delivers it)."""

        async def attempt(provider: ChatProvider, channel: Channel) -> OpenedStream:
            prepared = prepare_chat_body(body, channel.upstream_model(job.model), stream=True)
            return await open_and_prime(provider, upstream_call(channel, prepared))

        return await self.gate.run(job, ChatProvider, attempt)


async def open_and_prime(provider: ChatProvider, call: UpstreamCall) -> OpenedStream:
    """Open a chat stream and read its first event (a failure there still fails over)."""
    return await primed(await provider.open_stream(call))


async def primed(stream: ChatStream) -> OpenedStream:
    """``stream`` with its first event read (closed when that read fails, or when it is not a JSON
    object: a broken upstream or proxy answering 200 with garbage fails over instead of reaching the client)."""
    events, first = await first_read(stream)
    if first and not _is_json_object(first[0]):
        await stream.aclose()
        raise UpstreamError(f"the upstream's stream began with an event that is not JSON: {first[0][:120]!r}")
    return OpenedStream(stream, events, first)


def _is_json_object(payload: bytes) -> bool:
    try:
        return isinstance(orjson.loads(payload), dict)
    except orjson.JSONDecodeError:
        return False
