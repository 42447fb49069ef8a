"""What every billed endpoint shares: the gate a call passes before and around its upstream call.

:meth:`Gate.open_job` checks that the model is served, then the key's scope and the price, admits
the call under the key's limits and reserves its estimated cost. :meth:`Gate.run` then tries the
model's channels in routing order until one answers, feeding breakers and auto-disable, and
settles or refunds the job when asked to.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from omnirelay.catalog import Catalog
from omnirelay.channels.availability import no_channel_error
from omnirelay.channels.breaker import Breakers
from omnirelay.channels.health import ChannelHealth
from omnirelay.channels.model import Channel
from omnirelay.channels.routing import candidates
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
    ) -> None:
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
        estimate = price.cost(request.prompt_bound, request.output_tokens, multiplier, calls=request.calls)
        admission = self._services.limiter.admit(caller.key)
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
                result = await attempt(provider, channel)
            except UpstreamError as exc:
                self._record_failure(channel, exc)
                raise
            self._breakers.record_success(channel.id)
            return result
        except BaseException as exc:
            await job.fail(as_failure(exc))
            raise

    async def _with_failover(self, job: Job, capability: type[P], attempt: Callable[[P, Channel], Awaitable[T]]) -> T:
        channels = self._catalog.snapshot.by_model.get(job.model, [])
        last: UpstreamError | None = None
        # islice stops before asking for one channel too many: asking may start a half-open trial
        tried = itertools.islice(
            candidates(channels, job.caller.group, self._breakers, self._rng), self._settings.retries + 1
        )
        for channel in tried:
            provider = capable(self._providers, channel.type, capability)
            if provider is None:
                continue
            job.channel_id = channel.id
            try:
                result = await attempt(provider, channel)
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
        raise no_channel_error(
            job.model, channels, job.caller.group, self._breakers, lambda c: self._can_serve(c, capability)
        )

    def _can_serve(self, channel: Channel, capability: type[P]) -> bool:
        return capable(self._providers, channel.type, capability) is not None

    def _record_failure(self, channel: Channel, exc: UpstreamError) -> None:
        if not exc.retryable:  # the request was at fault, not the channel
            self._breakers.record_success(channel.id)
            return
        self._breakers.record_failure(channel.id)
        if isinstance(exc, UpstreamAuthFailed):
            self._health.auto_disable(channel, exc.message)
