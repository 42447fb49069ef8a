"""Legacy ``/v1/completions`` end to end: check, reserve, route with failover, settle.

An ``openai`` channel gets the request as the client sent it (``Forwarder``, dialect
``openai.completions``: token-id prompts, ``echo``, ``suffix``, ``logprobs`` all work there); any
other chat-capable channel gets it converted to chat (``relay/completions_transform.py``).
Billing, failover and disconnects work exactly as for chat: a stream's first event is read
before the answer starts, so a channel that fails before it is replaced by the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import orjson

from omnirelay.channels.affinity_keys import affinity_key_for_header, affinity_key_for_prompt_cache_key
from omnirelay.channels.model import Channel
from omnirelay.errors import UpstreamError
from omnirelay.providers.base import ChatProvider, ChatStream, ForwardCall, Forwarder, Usage
from omnirelay.providers.openai_compat.transform import prepare_chat_body
from omnirelay.providers.registry import capable
from omnirelay.providers.usage import from_openai_chat
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import ChatRelay, OpenedStream, primed, upstream_call
from omnirelay.relay.completions_stream import ConvertedEvents, ForwardedEvents
from omnirelay.relay.completions_transform import (
    DEFAULT_MAX_TOKENS,
    chat_bodies_from_completion,
    completion_from_chats,
    validate_completions_body,
)
from omnirelay.relay.gate import JobRequest
from omnirelay.relay.job import Job

__all__ = ["DIALECT", "CompletionsRelay", "counting_body"]

DIALECT = "openai.completions"


def _requested_output(body: Mapping[str, Any]) -> int:
    limit = body.get("max_tokens")
    per_choice = limit if isinstance(limit, int) and limit > 0 else DEFAULT_MAX_TOKENS
    factor = 1
    for name in ("n", "best_of"):
        value = body.get(name)
        factor = max(factor, value if isinstance(value, int) and value > 0 else 1)
    prompts = body.get("prompt")
    several = isinstance(prompts, list) and prompts and not isinstance(prompts[0], int)
    return per_choice * factor * (len(prompts) if several and isinstance(prompts, list) else 1)


def counting_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """A chat-shaped view of a completion request: its prompts as messages, for counting tokens when
    the upstream reports no usage (and ``stream_options`` for the stream session)."""
    prompt = body.get("prompt", "")
    prompts = prompt if isinstance(prompt, list) and prompt and not isinstance(prompt[0], int) else [prompt]
    texts = [p if isinstance(p, str) else " ".join(map(str, p)) for p in prompts if isinstance(p, str | list)]
    view: dict[str, Any] = {"messages": [{"role": "user", "content": t} for t in texts]}
    if isinstance(body.get("stream_options"), dict):
        view["stream_options"] = body["stream_options"]
    return view


def _forwarded_body(body: dict[str, Any], upstream_model: str, *, stream: bool) -> bytes:
    # the same rule as chat: a stream always asks for the usage chunk (stripped unless the client asked)
    return orjson.dumps(prepare_chat_body(body, upstream_model, stream=stream))


class CompletionsRelay:
    """Holds no state of its own: an ingress may build one per request."""

    def __init__(self, *, chat: ChatRelay, providers: Mapping[str, object], affinity_header: str | None) -> None:
        self._chat = chat
        self._gate = chat.gate
        self._providers = providers
        self._affinity_header = affinity_header

    @property
    def chat(self) -> ChatRelay:
        """The chat relay whose limits and counting this relay shares (the stream session needs it)."""
        return self._chat

    async def begin(
        self, caller: Caller, body: dict[str, Any], body_size: int, request_id: str, headers: Mapping[str, str]
    ) -> Job:
        model = validate_completions_body(body)
        affinity = affinity_key_for_prompt_cache_key(body) or affinity_key_for_header(
            headers, self._affinity_header, model
        )
        stream = body.get("stream") is True
        request = JobRequest("completions", model, body_size, _requested_output(body), stream=stream, affinity=affinity)
        return await self._gate.open_job(caller, request, request_id)

    def _forwarder(self, channel: Channel) -> Forwarder | None:
        forwarder = capable(self._providers, channel.type, Forwarder)
        return forwarder if forwarder is not None and forwarder.forwards(channel, DIALECT) else None

    def _forward_call(self, channel: Channel, job: Job, body: dict[str, Any], *, stream: bool) -> ForwardCall:
        return ForwardCall(
            base_url=channel.base_url,
            secret=channel.next_secret(),
            path="completions",
            body=_forwarded_body(body, channel.upstream_model(job.model), stream=stream),
            headers={},
            stream=stream,
            timeout_s=channel.timeout_s,
        )

    async def complete(self, job: Job, body: dict[str, Any]) -> bytes:
        """A non-streamed completion, as the client's answer; the job is settled or refunded before this returns."""

        async def attempt(provider: ChatProvider, channel: Channel) -> tuple[bytes, Usage | None, str]:
            forwarder = self._forwarder(channel)
            if forwarder is not None:
                forwarded = await forwarder.forward(self._forward_call(channel, job, body, stream=False))
                raw = await forwarded.read()
                answer = _parsed(raw, channel)
                return raw, from_openai_chat(answer.get("usage")), _choices_text(answer)
            return await _converted(provider, channel, job, body)

        raw, usage, text = await self._gate.run(job, ChatProvider, attempt)
        await job.succeed(self._chat.usage_or_count(usage, counting_body(body), text))
        return raw

    async def open_stream(self, job: Job, body: dict[str, Any]) -> OpenedStream:
        """Open a stream of ``text_completion`` chunks and read its first event (failing over until one does)."""

        async def attempt(provider: ChatProvider, channel: Channel) -> OpenedStream:
            forwarder = self._forwarder(channel)
            events: ChatStream
            if forwarder is not None:
                forwarded = await forwarder.forward(self._forward_call(channel, job, body, stream=True))
                events = ForwardedEvents(forwarded)
            else:
                [chat] = chat_bodies_from_completion(body, stream=True)
                prepared = prepare_chat_body(chat, channel.upstream_model(job.model), stream=True)
                events = ConvertedEvents(await provider.open_stream(upstream_call(channel, prepared)), job.model)
            return await primed(events)

        return await self._gate.run(job, ChatProvider, attempt)


async def _converted(
    provider: ChatProvider, channel: Channel, job: Job, body: dict[str, Any]
) -> tuple[bytes, Usage | None, str]:
    """One chat call per prompt on this channel, merged into one ``text_completion`` (usage summed:
    counted by the caller when any call came without one)."""
    results = []
    for chat in chat_bodies_from_completion(body, stream=False):
        prepared = prepare_chat_body(chat, channel.upstream_model(job.model), stream=False)
        results.append(await provider.complete(upstream_call(channel, prepared)))
    answer = completion_from_chats([_parsed(r.raw, channel) for r in results], job.model)
    usages = [r.usage for r in results]
    usage = None if any(u is None for u in usages) else _sum([u for u in usages if u is not None])
    return orjson.dumps(answer), usage, "".join(r.completion_text for r in results)


def _sum(usages: list[Usage]) -> Usage:
    if len(usages) == 1:
        return usages[0]
    return Usage(**{f.name: sum(getattr(u, f.name) for u in usages) for f in fields(Usage)})


def _parsed(raw: bytes, channel: Channel) -> dict[str, Any]:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise UpstreamError(f"The upstream of channel {channel.name!r} answered with a body that is not JSON.")
    return parsed


def _choices_text(answer: Mapping[str, Any]) -> str:
    return "".join(str(c.get("text") or "") for c in answer.get("choices") or () if isinstance(c, dict))
