"""What a per-token price says beyond its plain input and output rates: a rate per token kind,
context tiers and a per-call web search surcharge (``docs/operate-billing.md``).

All amounts are whole micro-units: per million tokens, or per call for ``web_search_per_call``.
A kind whose rate is absent is billed at the plain input price (input-side kinds) or the plain
output price (reasoning, audio output), so a price written before these fields existed bills
exactly as it did. A tier prices *every* token of a request whose prompt (``Usage.prompt_tokens``,
cache reads and writes included) is above its threshold; a kind the tier does not name falls
back to the tier's own input or output rate, never to the base price's.

The stored form (``prices.extras``) and the admin API's form are the same flat JSON object;
this module reads and writes it without checking it: ``billing/price_rules.py`` checks every
intake before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

__all__ = [
    "INPUT_SIDE",
    "KIND_FIELDS",
    "OUTPUT_SIDE",
    "EXTRA_FIELDS",
    "KindRates",
    "PriceExtras",
    "RateSet",
    "Tier",
]

KIND_FIELDS: dict[str, str] = {
    "cache_read": "cache_read_per_million",
    "cache_write_5m": "cache_write_5m_per_million",
    "cache_write_1h": "cache_write_1h_per_million",
    "audio_in": "audio_input_per_million",
    "image_in": "image_input_per_million",
    "reasoning": "reasoning_per_million",
    "audio_out": "audio_output_per_million",
}
"""Usage kind -> the optional price field that prices it (``providers.usage.KINDS``)."""

INPUT_SIDE: tuple[str, ...] = (
    "uncached_input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "audio_in",
    "image_in",
)
OUTPUT_SIDE: tuple[str, ...] = ("text_output", "reasoning", "audio_out")

EXTRA_FIELDS: tuple[str, ...] = (*KIND_FIELDS.values(), "tiers", "web_search_per_call")
"""Every optional field of a per-token price, as the intakes name them."""


@dataclass(frozen=True, slots=True)
class KindRates:
    """Rates (micro-units per million tokens) of the kinds that differ from plain input/output."""

    cache_read_per_million: int | None = None
    cache_write_5m_per_million: int | None = None
    cache_write_1h_per_million: int | None = None
    audio_input_per_million: int | None = None
    image_input_per_million: int | None = None
    reasoning_per_million: int | None = None
    audio_output_per_million: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KindRates:
        return cls(**{name: data[name] for name in KIND_FIELDS.values() if data.get(name) is not None})

    def as_json(self) -> dict[str, int]:
        """The rates that are set, by field name."""
        return {f.name: value for f in fields(self) if (value := getattr(self, f.name)) is not None}


@dataclass(frozen=True, slots=True)
class RateSet:
    """One complete set of rates: the base price's, or one tier's."""

    input_per_million: int
    output_per_million: int
    kinds: KindRates = KindRates()

    def per_million(self, kind: str) -> int:
        """Micro-units per million tokens of ``kind`` (a token kind of ``providers.usage.KINDS``)."""
        if kind == "uncached_input":
            return self.input_per_million
        if kind == "text_output":
            return self.output_per_million
        own: int | None = getattr(self.kinds, KIND_FIELDS[kind])
        if own is not None:
            return own
        return self.input_per_million if kind in INPUT_SIDE else self.output_per_million


@dataclass(frozen=True, slots=True)
class Tier:
    """Rates for every token of a request whose prompt has more than ``above_prompt_tokens`` tokens."""

    above_prompt_tokens: int
    rates: RateSet

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tier:
        rates = RateSet(data["input_per_million"], data["output_per_million"], KindRates.from_json(data))
        return cls(data["above_prompt_tokens"], rates)

    def as_json(self) -> dict[str, int]:
        return {
            "above_prompt_tokens": self.above_prompt_tokens,
            "input_per_million": self.rates.input_per_million,
            "output_per_million": self.rates.output_per_million,
            **self.rates.kinds.as_json(),
        }


@dataclass(frozen=True, slots=True)
class PriceExtras:
    """Everything optional in a per-token price; empty for a price of before these fields."""

    kinds: KindRates = KindRates()
    tiers: tuple[Tier, ...] = ()
    """Ordered by threshold, lowest first."""
    web_search_per_call: int | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> PriceExtras:
        """The stored ``prices.extras`` (``None`` on rows written before it existed)."""
        if not data:
            return cls()
        return cls(
            KindRates.from_json(data),
            tuple(Tier.from_json(t) for t in data.get("tiers") or ()),
            data.get("web_search_per_call"),
        )

    def as_json(self) -> dict[str, Any] | None:
        """The stored form: only what is set; ``None`` when nothing is."""
        data: dict[str, Any] = dict(self.kinds.as_json())
        if self.tiers:
            data["tiers"] = [t.as_json() for t in self.tiers]
        if self.web_search_per_call is not None:
            data["web_search_per_call"] = self.web_search_per_call
        return data or None

    def as_fields(self) -> dict[str, Any]:
        """Every optional field by name (``None`` when absent, ``[]`` without tiers): the admin API's form."""
        stored = self.as_json() or {}
        return {name: stored.get(name, [] if name == "tiers" else None) for name in EXTRA_FIELDS}

    def rates_for(self, base: RateSet, prompt_tokens: int) -> tuple[int | None, RateSet]:
        """The tier (its threshold, ``None`` for the base price) and rates a prompt of this size pays."""
        for tier in reversed(self.tiers):
            if prompt_tokens > tier.above_prompt_tokens:
                return tier.above_prompt_tokens, tier.rates
        return None, base

    def reachable(self, base: RateSet, prompt_bound: int) -> list[RateSet]:
        """Every rate set a prompt of at most ``prompt_bound`` tokens may pay."""
        return [base, *(t.rates for t in self.tiers if prompt_bound > t.above_prompt_tokens)]
