"""Chat completions end to end: check, reserve, route with failover, settle.

Failover happens only before the first byte reaches the client: for streams the first
event is read from the upstream before the response starts, so an upstream that resets
before its first chunk is retried on the next channel.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from omnirelay.catalog import Catalog
from omnirelay.channels.breaker import Breakers
from omnirelay.channels.health import ChannelHealth
from omnirelay.channels.model import Channel
from omnirelay.channels.routing import candidates
from omnirelay.errors import (
    InvalidRequest,
    ModelNotFound,
    ModelNotPriced,
    OmniRelayError,
    PermissionDenied,
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamUnavailable,
)
from omnirelay.providers.base import ChatCall, ChatProvider, ChatResult, ChatStream, Usage
from omnirelay.providers.openai_compat.transform import prepare_chat_body
from omnirelay.relay.auth import Caller
from omnirelay.relay.job import Job, JobServices
from omnirelay.relay.tokens import TokenCounter
from omnirelay.settings import RelaySettings

__all__ = ["ChatRelay", "OpenedStream"]

T = TypeVar("T")
_Attempt = Callable[[ChatProvider, ChatCall], Awaitable[T]]


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
    return model


class ChatRelay:
    def __init__(
        self,
        *,
        catalog: Catalog,
        services: JobServices,
        breakers: Breakers,
        providers: Mapping[str, ChatProvider],
        health: ChannelHealth,
        tokens: TokenCounter,
        settings: RelaySettings,
    ) -> None:
        self._catalog = catalog
        self._services = services
        self._breakers = breakers
        self._providers = providers
        self._health = health
        self.tokens = tokens
        self._settings = settings
        self._rng = random.Random()

    async def begin(self, caller: Caller, body: dict[str, Any], body_size: int, request_id: str) -> Job:
        """Check scopes and price, admit under the key's limits and reserve the estimate."""
        model = validate_chat_body(body)
        if not caller.key.allows_model(model):
            raise PermissionDenied(f"This API key may not use the model `{model}`.", code="model_not_allowed")
        snapshot = self._catalog.snapshot
        if model not in snapshot.by_model:
            raise ModelNotFound(f"The model `{model}` does not exist or you do not have access to it.", param="model")
        price = snapshot.prices.get(model)
        if price is None:
            raise ModelNotPriced(
                f"The model `{model}` has no price configured, so it cannot be billed. "
                "Ask the operator to set a price for it (or mark it free)."
            )
        multiplier = snapshot.multiplier(caller.group)
        # body bytes bound the prompt's tokens from above: no tokenizer on the hot path
        estimate = price.cost(body_size, _requested_output(body, self._settings.default_output_tokens), multiplier)
        admission = self._services.limiter.admit(caller.key)
        try:
            reservation = await self._services.ledger.reserve(caller.key, request_id, estimate)
        except BaseException:
            self._services.limiter.release(admission, 0)
            raise
        return Job(
            services=self._services,
            request_id=request_id,
            endpoint="chat.completions",
            caller=caller,
            model=model,
            price=price,
            multiplier=multiplier,
            reservation=reservation,
            admission=admission,
            stream=body.get("stream") is True,
        )

    def provider_for(self, channel: Channel) -> ChatProvider:
        provider = self._providers.get(channel.type)
        if provider is None:
            raise UpstreamUnavailable(f"No chat provider for channel type {channel.type!r}.")
        return provider

    def usage_or_count(self, usage: Usage | None, body: Mapping[str, Any], completion_text: str) -> Usage:
        if usage is not None:
            return usage
        return Usage(self.tokens.count_messages(body.get("messages")), self.tokens.count_text(completion_text))

    async def complete(self, job: Job, body: dict[str, Any]) -> ChatResult:
        """A non-streamed completion; the job is settled or refunded before this returns."""
        try:
            result = await self._with_failover(job, body, False, lambda p, c: p.complete(c))
        except BaseException as exc:
            await job.fail(_as_failure(exc))
            raise
        await job.succeed(self.usage_or_count(result.usage, body, result.completion_text))
        return result

    async def open_stream(self, job: Job, body: dict[str, Any]) -> OpenedStream:
        """Open a stream and read its first event (failing over until one channel delivers it)."""
        try:
            return await self._with_failover(job, body, True, _open_and_prime)
        except BaseException as exc:
            await job.fail(_as_failure(exc))
            raise

    async def _with_failover(self, job: Job, body: dict[str, Any], stream: bool, attempt: _Attempt[T]) -> T:
        channels = self._catalog.snapshot.by_model.get(job.model, [])
        last: UpstreamError | None = None
        # islice stops before asking for one channel too many: asking may start a half-open trial
        tried = itertools.islice(
            candidates(channels, job.caller.group, self._breakers, self._rng), self._settings.retries + 1
        )
        for channel in tried:
            provider = self._providers.get(channel.type)
            if provider is None:
                continue
            job.channel_id = channel.id
            try:
                result = await attempt(provider, self._call(channel, body, job.model, stream))
            except UpstreamError as exc:
                self._record_failure(channel, exc)
                if not exc.retryable:
                    raise
                last = exc
                continue
            self._breakers.record_success(channel.id)
            return result
        if last is not None:
            raise last
        raise UpstreamUnavailable(f"No channel is available for the model `{job.model}` right now; try again later.")

    @staticmethod
    def _call(channel: Channel, body: dict[str, Any], model: str, stream: bool) -> ChatCall:
        return ChatCall(
            base_url=channel.base_url,
            secret=channel.next_secret(),
            body=prepare_chat_body(body, channel.upstream_model(model), stream=stream),
            timeout_s=channel.timeout_s,
        )

    def _record_failure(self, channel: Channel, exc: UpstreamError) -> None:
        if not exc.retryable:  # the request was at fault, not the channel
            self._breakers.record_success(channel.id)
            return
        self._breakers.record_failure(channel.id)
        if isinstance(exc, UpstreamAuthFailed):
            self._health.auto_disable(channel, exc.message)


def _as_failure(exc: BaseException) -> OmniRelayError:
    """What to log for a call that ended without an answer (it is refunded either way)."""
    if isinstance(exc, OmniRelayError):
        return exc
    return OmniRelayError(f"the call was interrupted: {type(exc).__name__}: {exc}")


async def _open_and_prime(provider: ChatProvider, call: ChatCall) -> OpenedStream:
    stream = await provider.open_stream(call)
    events = stream.__aiter__()
    try:
        first = await anext(events, None)
    except BaseException:
        await stream.aclose()
        raise
    return OpenedStream(stream, events, first)
