"""What one call costs, kind by kind, in exact integer arithmetic with one rounding.

Each line's cost is kept exact, in micro-millionths (tokens x micro-units per million tokens,
or calls x micro-units per call x one million); the lines are summed, multiplied by the group
multiplier, and rounded up to a whole micro-unit once. The request log keeps the lines
(``request_logs.usage``), so a bill can be explained line by line.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from omnirelay.billing.price_extras import INPUT_SIDE, OUTPUT_SIDE, PriceExtras, RateSet
from omnirelay.providers.usage import KINDS, Usage

__all__ = ["Charge", "ChargeLine", "ceil_micro", "per_call_charge", "token_charge", "token_estimate"]

MILLION = 1_000_000
_TOKEN_KINDS = tuple(k for k in KINDS if k != "web_search_calls")
_MAX_PLACES = 40
"""A stored multiplier has at most 40 characters, so at most that many decimal places."""


def ceil_micro(micro_millionths: int, multiplier: Fraction) -> int:
    """``micro_millionths`` x ``multiplier`` in whole micro-units, rounded up (integer arithmetic:
    no ``Fraction`` is built on the hot path, the result is the same)."""
    return -((-micro_millionths * multiplier.numerator) // (MILLION * multiplier.denominator))


def _decimal(micro_millionths: int) -> str:
    """Micro-units as an exact decimal string: ``5000``, ``0.75``."""
    whole, part = divmod(micro_millionths, MILLION)
    return str(whole) if part == 0 else f"{whole}.{part:06d}".rstrip("0")


def _ratio(value: Fraction) -> str:
    """A multiplier as a decimal when it has one (``1.5``), else as a fraction (``1/3``)."""
    for places in range(_MAX_PLACES + 1):
        scaled = value * 10**places
        if scaled.denominator == 1:
            whole, part = divmod(scaled.numerator, 10**places)
            return f"{whole}.{part:0{places}d}" if places else str(whole)
    return str(value)


@dataclass(frozen=True, slots=True)
class ChargeLine:
    """One kind of a bill: ``count`` tokens (or calls) at ``rate`` per million tokens (or per call)."""

    kind: str
    count: int
    rate: int
    unit: Literal["million_tokens", "call"]
    micro_millionths: int

    def as_json(self) -> dict[str, Any]:
        """``{"kind", "tokens", "per_million", "cost"}``; per-call lines say ``calls`` and ``per_call``."""
        if self.unit == "call":
            return {
                "kind": self.kind,
                "calls": self.count,
                "per_call": self.rate,
                "cost": _decimal(self.micro_millionths),
            }
        return {
            "kind": self.kind,
            "tokens": self.count,
            "per_million": self.rate,
            "cost": _decimal(self.micro_millionths),
        }


@dataclass(frozen=True, slots=True)
class Charge:
    """What a call costs: ``total`` whole micro-units (multiplier applied, rounded up once) and its lines."""

    total: int
    lines: tuple[ChargeLine, ...] = ()
    multiplier: Fraction = Fraction(1)
    tier: int | None = None
    """The threshold of the context tier that priced the call; ``None`` for the base price."""

    def as_json(self) -> dict[str, Any]:
        """The request log's ``usage`` detail (line costs as exact decimal strings of micro-units)."""
        return {
            "tier": self.tier,
            "multiplier": _ratio(self.multiplier),
            "total": self.total,
            "lines": [line.as_json() for line in self.lines],
        }


def _charged(lines: list[ChargeLine], multiplier: Fraction, tier: int | None = None) -> Charge:
    exact = sum(line.micro_millionths for line in lines)
    return Charge(ceil_micro(exact, multiplier), tuple(lines), multiplier, tier)


def token_charge(base: RateSet, extras: PriceExtras, usage: Usage, multiplier: Fraction) -> Charge:
    """A per-token price's charge: every kind at its tier's rate, web searches per call."""
    tier, rates = extras.rates_for(base, usage.prompt_tokens)
    lines: list[ChargeLine] = []
    for kind in _TOKEN_KINDS:
        tokens: int = getattr(usage, kind)
        if tokens:
            rate = rates.per_million(kind)
            lines.append(ChargeLine(kind, tokens, rate, "million_tokens", tokens * rate))
    searches = usage.web_search_calls
    if searches:
        fee = extras.web_search_per_call or 0
        lines.append(ChargeLine("web_search_calls", searches, fee, "call", searches * fee * MILLION))
    return _charged(lines, multiplier, tier)


def per_call_charge(per_call: int, calls: int, multiplier: Fraction) -> Charge:
    """A per-call price's charge: ``calls`` units (e.g. images) at ``per_call`` each."""
    if not calls:
        return Charge(0, (), multiplier)
    return _charged([ChargeLine("calls", calls, per_call, "call", calls * per_call * MILLION)], multiplier)


def token_estimate(
    base: RateSet, extras: PriceExtras, prompt_bound: int, output_tokens: int, multiplier: Fraction
) -> int:
    """A hold that the call's token charge cannot exceed: every prompt token at the worst input-side
    rate and every output token at the worst output-side rate of every tier the bound may reach.

    Web search surcharges are not held for (their number is unknown before the call); the
    settlement's overage tolerance (``billing.overage_tolerance``) covers them."""
    sets = extras.reachable(base, prompt_bound)
    worst_in = max(s.per_million(kind) for s in sets for kind in INPUT_SIDE)
    worst_out = max(s.per_million(kind) for s in sets for kind in OUTPUT_SIDE)
    return ceil_micro(prompt_bound * worst_in + output_tokens * worst_out, multiplier)
