"""Prices per model and the exact integer arithmetic that turns usage into micro-units."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

__all__ = ["Price", "PriceMode", "parse_multiplier"]

PriceMode = Literal["per_call", "per_token", "free"]
_MILLION = 1_000_000


def parse_multiplier(text: str) -> Fraction:
    """``"1.5"`` -> ``Fraction(3, 2)``; refuses negatives so a price never becomes a credit."""
    value = Fraction(text)
    if value < 0:
        raise ValueError(f"group multiplier must not be negative, got {text!r}")
    return value


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


@dataclass(frozen=True, slots=True)
class Price:
    model: str
    mode: PriceMode
    per_call: int = 0
    input_per_million: int = 0
    output_per_million: int = 0

    @classmethod
    def from_row(cls, row: Any) -> Price:
        return cls(
            model=row["model"],
            mode=row["mode"],
            per_call=row["per_call"],
            input_per_million=row["input_per_million"],
            output_per_million=row["output_per_million"],
        )

    def cost(
        self, prompt_tokens: int, completion_tokens: int, multiplier: Fraction = Fraction(1), *, calls: int = 1
    ) -> int:
        """Micro-units owed for this usage, rounded up to a whole micro-unit.

        ``calls`` counts billable units of a per-call price (e.g. the images one request made)."""
        if self.mode == "free":
            return 0
        if self.mode == "per_call":
            total = self.per_call * calls
            return total if multiplier == 1 else _ceil(total * multiplier)
        micro_millionths = prompt_tokens * self.input_per_million + completion_tokens * self.output_per_million
        if multiplier == 1:
            return -(-micro_millionths // _MILLION)
        return _ceil(Fraction(micro_millionths, _MILLION) * multiplier)
