"""Prices per model: what each mode bills, turned into exact micro-units by ``billing/charges.py``."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from omnirelay.billing.charges import Charge, per_call_charge, token_charge, token_estimate
from omnirelay.billing.price_extras import PriceExtras, RateSet
from omnirelay.providers.usage import Usage

__all__ = ["Price", "PriceMode", "parse_multiplier"]

PriceMode = Literal["per_call", "per_token", "free"]


def parse_multiplier(text: str) -> Fraction:
    """``"1.5"`` -> ``Fraction(3, 2)``; refuses negatives so a price never becomes a credit."""
    value = Fraction(text)
    if value < 0:
        raise ValueError(f"group multiplier must not be negative, got {text!r}")
    return value


@dataclass(frozen=True, slots=True)
class Price:
    model: str
    mode: PriceMode
    per_call: int = 0
    input_per_million: int = 0
    output_per_million: int = 0
    extras: PriceExtras = PriceExtras()
    """Per-kind rates, context tiers and the web search surcharge of a per-token price."""

    @classmethod
    def from_row(cls, row: Any) -> Price:
        return cls(
            model=row["model"],
            mode=row["mode"],
            per_call=row["per_call"],
            input_per_million=row["input_per_million"],
            output_per_million=row["output_per_million"],
            extras=PriceExtras.from_json(row.get("extras")),
        )

    @property
    def base_rates(self) -> RateSet:
        return RateSet(self.input_per_million, self.output_per_million, self.extras.kinds)

    def cost_of(self, usage: Usage, multiplier: Fraction = Fraction(1), *, calls: int = 1) -> Charge:
        """What ``usage`` costs, kind by kind (``billing/charges.py``), rounded up once.

        ``calls`` counts billable units of a per-call price (e.g. the images one request made)."""
        if self.mode == "free":
            return Charge(0, (), multiplier)
        if self.mode == "per_call":
            return per_call_charge(self.per_call, calls, multiplier)
        return token_charge(self.base_rates, self.extras, usage, multiplier)

    def estimate(
        self, prompt_bound: int, output_tokens: int, multiplier: Fraction = Fraction(1), calls: int = 1
    ) -> int:
        """The hold for a call whose prompt has at most ``prompt_bound`` tokens: never below its charge
        (web search surcharges aside, see :func:`~omnirelay.billing.charges.token_estimate`)."""
        if self.mode == "free":
            return 0
        if self.mode == "per_call":
            return per_call_charge(self.per_call, calls, multiplier).total
        return token_estimate(self.base_rates, self.extras, prompt_bound, output_tokens, multiplier)

    def cost(
        self, prompt_tokens: int, completion_tokens: int, multiplier: Fraction = Fraction(1), *, calls: int = 1
    ) -> int:
        """Micro-units owed for plain prompt and completion counts (no token kinds), rounded up."""
        return self.cost_of(Usage(prompt_tokens, completion_tokens), multiplier, calls=calls).total
