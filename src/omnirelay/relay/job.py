"""One billed call from admission to settlement: the money and the log line follow its outcome."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from omnirelay.accounts.limits import Admission, Limiter
from omnirelay.billing.charges import Charge
from omnirelay.billing.ledger import Ledger, Reservation
from omnirelay.billing.prices import Price
from omnirelay.channels.breaker import Breakers
from omnirelay.db.engine import now_ms
from omnirelay.db.writebehind import WriteBehind
from omnirelay.errors import OmniRelayError, UpstreamError
from omnirelay.observability.call_metrics import CallRecorder
from omnirelay.providers.base import Usage
from omnirelay.relay.auth import Caller

if TYPE_CHECKING:
    from omnirelay.observability.otel import CallSpan

__all__ = ["Job", "JobServices"]


@dataclass(frozen=True, slots=True)
class JobServices:
    ledger: Ledger
    limiter: Limiter
    writer: WriteBehind
    recorder: CallRecorder | None = None
    """Counts each call's outcome, tokens and spend for ``/metrics``."""
    breakers: Breakers | None = None
    """Told when a channel breaks a stream after its first byte (the gate sees failures before it)."""


@dataclass(slots=True)
class Job:
    services: JobServices
    request_id: str
    endpoint: str
    caller: Caller
    model: str
    price: Price
    multiplier: Fraction
    reservation: Reservation
    admission: Admission
    stream: bool = False
    channel_id: int | None = None
    answered_status: int | None = None
    """The HTTP status the client gets whatever the outcome, when the API family fixes one (Midjourney
    submits answer 200 and put the outcome in the envelope's ``code``): the log row's status then."""
    started: float = field(default_factory=time.perf_counter)
    done: bool = False
    affinity: str | None = None
    """The conversation this call belongs to (``channels/affinity.py``), scoped to the caller's account."""
    secret_index: int | None = None
    """The index of the channel secret the gate sent (so :meth:`Gate.stick` can pin a conversation to it)."""
    streaming_on: int | None = None
    """The channel whose stream this is, once its first byte came: its breaker hears how the stream
    ended (a success when it ends in any way but an upstream break, :meth:`broke_mid_stream`)."""
    span: CallSpan | None = None
    """With tracing on: the client span of the attempt that answered, ended when the job closes."""

    async def succeed(self, usage: Usage, status: int = 200, error: str | None = None, *, calls: int = 1) -> int:
        """Settle at the real cost of ``usage`` (and ``calls`` units of a per-call price); returns what was charged.

        Every token kind is billed at its own rate (``Price.cost_of``), and the log row keeps the
        bill's lines. The ledger bounds the charge by the hold (``billing.overage_tolerance``);
        what the usage cost beyond it is logged as ``unbilled``. Only the first outcome counts."""
        if self.done:
            return 0
        charge = self.price.cost_of(usage, self.multiplier, calls=calls)
        settlement = self.services.ledger.bounded(self.reservation, charge.total)
        self._close(usage, settlement.charged, status, error, unbilled=settlement.unbilled, charge=charge)
        await self.services.ledger.settle(self.reservation, settlement.charged)
        return settlement.charged

    async def fail(self, error: OmniRelayError) -> None:
        """Refund the whole hold and log the failure. Only the first outcome counts."""
        if self.done:
            return
        self._close(Usage(0, 0), 0, error.status_code, error.message)
        await self.services.ledger.refund(self.reservation)

    async def broke_mid_stream(self, error: UpstreamError) -> None:
        """The upstream broke after the client got its first byte: refund, and count it against the
        channel's breaker as a failure before the first byte would have been (the gate had counted a success)."""
        channel, self.streaming_on = self.streaming_on, None
        if channel is not None and self.services.breakers is not None and error.retryable:
            self.services.breakers.record_failure(channel)
        await self.fail(error)

    async def succeed_at_hold(self) -> int:
        """Settle at exactly the held amount (per-call work finished within the request)."""
        if self.done:
            return 0
        cost = self.reservation.amount
        self._close(Usage(0, 0), cost, 200, None)
        await self.services.ledger.settle(self.reservation, cost)
        return cost

    def hand_over(self) -> None:
        """The hold now belongs to a task, which settles or refunds it when it ends; log the submit."""
        if not self.done:
            self._close(Usage(0, 0), 0, 200, None)

    def __post_init__(self) -> None:
        if self.services.recorder is not None:
            self.services.recorder.opened()

    def _close(
        self,
        usage: Usage,
        cost: int,
        status: int,
        error: str | None,
        *,
        unbilled: int = 0,
        charge: Charge | None = None,
    ) -> None:
        self.done = True
        services = self.services
        if self.streaming_on is not None and services.breakers is not None:
            services.breakers.record_success(self.streaming_on)
        services.limiter.release(self.admission, usage.prompt_tokens + usage.completion_tokens)
        seconds = time.perf_counter() - self.started
        if self.span is not None:
            self.span.finish(usage, status, error)
        if services.recorder is not None:
            services.recorder.closed(
                endpoint=self.endpoint,
                model=self.model,
                channel_id=self.channel_id,
                status=status if self.answered_status is None else self.answered_status,
                usage=usage,
                cost=cost,
                seconds=seconds,
            )
        services.writer.add_log(
            {
                "request_id": self.request_id,
                "created_at": now_ms(),
                "account_id": self.caller.key.account_id,
                "key_id": self.caller.key.id,
                "endpoint": self.endpoint,
                "model": self.model,
                "channel_id": self.channel_id,
                "stream": self.stream,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cost": cost,
                "unbilled": unbilled,
                "latency_ms": int(seconds * 1000),
                "status": status if self.answered_status is None else self.answered_status,
                "error": error,
                "usage": None if charge is None else charge.as_json(),
            }
        )
