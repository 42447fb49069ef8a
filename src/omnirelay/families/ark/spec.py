"""The Ark family's registration line (imported by billing: keep it to the price list)."""

from __future__ import annotations

from omnirelay.families.ark.pricing import PER_CALL_CHANNEL_TYPES, PER_CALL_PRICES
from omnirelay.families.spec import FamilySpec

__all__ = ["ARK"]

ARK = FamilySpec(
    name="ark",
    plugin="omnirelay.families.ark.plugin:PLUGIN",
    per_call_prices=frozenset(PER_CALL_PRICES),
    per_call_channel_types=frozenset(PER_CALL_CHANNEL_TYPES),
)
