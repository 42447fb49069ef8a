"""What every billed endpoint shares: the gate a call passes before and around its upstream call.

:meth:`Gate.open_job` checks that the model is served, then the key's scope and the price, admits
the call under the key's limits and reserves its estimated cost. :meth:`Gate.run` then tries the
model's channels in routing order until one answers, feeding breakers and auto-disable, and
settles or refunds the job when asked to. A call with a conversation identity (``affinity``)
tries the channel and secret that answered its conversation first (``channels/affinity.py``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from omnirelay.accounts.limits import Admission
from omnirelay.catalog import Catalog
from omnirelay.channels.affinity import Affinity, MemoryAffinity, Pin
from omnirelay.channels.availability import no_channel_error
from omnirelay.channels.breaker import Breakers
from omnirelay.channels.health import ChannelHealth
from omnirelay.channels.model import Channel
from omnirelay.channels.sticky import pinned_channel, sticky_candidates
from omnirelay.errors import (
    ModelNotFound,
    ModelNotPriced,
    OmniRelayError,
    PermissionDenied,
    UpstreamAuthFailed,
    UpstreamError,
    UpstreamUnavailable,
)
from omnirelay.providers.registry import capable
from omnirelay.relay.auth import Caller
from omnirelay.relay.job import Job, JobServices
from omnirelay.settings import RelaySettings

if TYPE_CHECKING:
    from omnirelay.observability.otel import Tracing

__all__ = ["Gate", "JobRequest", "as_failure"]

P = TypeVar("P")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class JobRequest:
    endpoint: str
    model: str
    prompt_bound: int
    """An upper bound of the prompt's tokens (the body's size in bytes will do)."""
    output_tokens: int
    stream: bool = False
    price_name: str | None = None
    """The price to bill by, when it is not named after the model (e.g. ``dall-e-3:1024x1024``)."""
    calls: int = 1
    """Units a per-call price is reserved for (e.g. the images asked for)."""
    affinity: str | None = None
    """The request's conversation identity (``channels/affinity_keys.py``): it sticks to one channel and key."""


def as_failure(exc: BaseException) -> OmniRelayError:
    """What to log for a call that ended without an answer (it is refunded either way)."""
    if isinstance(exc, OmniRelayError):
        return exc
    return OmniRelayError(f"the call was interrupted: {type(exc).__name__}: {exc}")


class Gate:
    def __init__(
        self,
        *,
        catalog: Catalog,
        services: JobServices,
        breakers: Breakers,
        providers: Mapping[str, object],
        health: ChannelHealth,
        settings: RelaySettings,
        affinity: Affinity | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        """``tracing``: a client span per upstream attempt (``observability/otel.py``); ``None`` when off."""
        self.affinity = affinity or MemoryAffinity(settings.affinity_max_entries, settings.affinity_ttl_s)
        self._tracing = tracing
        self._catalog = catalog
        self._services = services
        self._breakers = breakers
        self._providers = providers
        self._health = health
        self._settings = settings
        self._rng = random.Random()

    async def open_job(self, caller: Caller, request: JobRequest, request_id: str) -> Job:
        """Check that the model exists, then the key's scope and the price; admit and reserve the estimate.

        Existence comes first, so every key gets the same 404 for a model nobody serves."""
        model = request.model
        snapshot = self._catalog.snapshot
        if model not in snapshot.by_model:
            raise ModelNotFound(f"The model `{model}` does not exist or you do not have access to it.", param="model")
        if not caller.key.allows_model(model):
            raise PermissionDenied(f"This API key may not use the model `{model}`.", code="model_not_allowed")
        price = snapshot.prices.get(request.price_name or model)
        if price is None:
            raise ModelNotPriced(
                f"The model `{model}` has no price configured, so it cannot be billed. "
                "Ask the operator to set a price for it (or mark it free)."
            )
        multiplier = snapshot.multiplier(caller.group)
        estimate = price.estimate(request.prompt_bound, request.output_tokens, multiplier, request.calls)
        admitted = self._services.limiter.admit(caller.key)  # in memory: no coroutine, nothing awaited
        admission = admitted if isinstance(admitted, Admission) else await admitted
        try:
            reservation = await self._services.ledger.reserve(caller.key, request_id, estimate)
        except BaseException:
            self._services.limiter.release(admission, 0)
            raise
        return Job(
            services=self._services,
            request_id=request_id,
            endpoint=request.endpoint,
            caller=caller,
            model=model,
            price=price,
            multiplier=multiplier,
            reservation=reservation,
            admission=admission,
            stream=request.stream,
            affinity=f"{caller.key.account_id}:{request.affinity}" if request.affinity else None,
        )

    def provider_for(self, channel: Channel, capability: type[P]) -> P:
        provider = capable(self._providers, channel.type, capability)
        if provider is None:
            raise UpstreamUnavailable(f"Channels of type {channel.type!r} cannot serve this endpoint.")
        return provider

    async def run(self, job: Job, capability: type[P], attempt: Callable[[P, Channel], Awaitable[T]]) -> T:
        """Try the model's channels in routing order until one answers; refund the job if none does."""
        try:
            return await self._with_failover(job, capability, attempt)
        except BaseException as exc:
            await job.fail(as_failure(exc))
            raise

    async def run_on(
        self, job: Job, channel: Channel, capability: type[P], attempt: Callable[[P, Channel], Awaitable[T]]
    ) -> T:
        """Like :meth:`run`, on one given channel (follow-ups of a task go where the task lives)."""
        try:
            provider = self.provider_for(channel, capability)
            job.channel_id = channel.id
            try:
                if self._tracing is None:
                    result = await attempt(provider, channel)
                else:
                    result = await self._tracing.attempt(job, channel, 1, attempt(provider, channel))
            except UpstreamError as exc:
                self._record_failure(channel, exc)
                raise
            self._answered(job, channel)
            return result
        except BaseException as exc:
            await job.fail(as_failure(exc))
            raise

    async def _with_failover(self, job: Job, capability: type[P], attempt: Callable[[P, Channel], Awaitable[T]]) -> T:
        channels = self._catalog.snapshot.by_model.get(job.model, [])
        last: UpstreamError | None = None
        pin = await self.affinity.get(job.affinity) if job.affinity is not None else None
        pinned = pinned_channel(pin, channels, job.caller.group, self._breakers)
        # islice stops before asking for one channel too many: asking may start a half-open trial
        tried = itertools.islice(
            sticky_candidates(pinned, channels, job.caller.group, self._breakers, self._rng),
            self._settings.retries + 1,
        )
        tracing, number = self._tracing, 0
        for channel in tried:
            provider = capable(self._providers, channel.type, capability)
            if provider is None:
                continue
            job.channel_id = channel.id
            number += 1
            keyed = self._keyed(job, channel, pin if channel is pinned else None)
            try:
                if tracing is None:
                    result = await attempt(provider, keyed)
                else:
                    result = await tracing.attempt(job, channel, number, attempt(provider, keyed))
            except UpstreamError as exc:
                self._record_failure(channel, exc)
                if not exc.retryable:
                    raise
                last = exc
                continue
            self._answered(job, channel)
            if job.affinity is not None and pin != (answered := Pin(channel.id, _index(job.secret_index))):
                await self.affinity.put(job.affinity, answered)
            return result
        if last is not None:
            raise last
        raise no_channel_error(
            job.model, channels, job.caller.group, self._breakers, lambda c: self._can_serve(c, capability)
        )

    def _keyed(self, job: Job, channel: Channel, pin: Pin | None) -> Channel:
        """The channel with the one secret this call sends: the pinned one, else the next in rotation.

        The index is kept on the job, so the conversation (or a later :meth:`stick`) can pin it."""
        index = pin.secret if pin is not None and pin.secret >= 0 else channel.next_secret_index()
        job.secret_index = index
        if index is None or len(channel.secrets) == 1:
            return channel
        return channel.with_secret(index)

    async def stick(self, job: Job, affinity: str) -> None:
        """Pin the conversation ``affinity`` to where ``job`` was answered (a new Responses id, say)."""
        if job.channel_id is not None:
            key = f"{job.caller.key.account_id}:{affinity}"
            await self.affinity.put(key, Pin(job.channel_id, _index(job.secret_index)))

    def _can_serve(self, channel: Channel, capability: type[P]) -> bool:
        return capable(self._providers, channel.type, capability) is not None

    def _answered(self, job: Job, channel: Channel) -> None:
        """A stream's channel hears its success when the stream ends (a break after the first byte is a
        failure of the channel too); any other call's, now."""
        if job.stream:
            job.streaming_on = channel.id
        else:
            self._breakers.record_success(channel.id)

    def _record_failure(self, channel: Channel, exc: UpstreamError) -> None:
        if not exc.retryable:  # the request was at fault, not the channel
            self._breakers.record_success(channel.id)
            return
        self._breakers.record_failure(channel.id)
        if isinstance(exc, UpstreamAuthFailed):
            self._health.auto_disable(channel, exc.message)


def _index(secret_index: int | None) -> int:
    return -1 if secret_index is None else secret_index
