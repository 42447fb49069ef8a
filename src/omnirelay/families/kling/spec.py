"""The Kling family's registration line (imported by billing: keep it to the price list)."""

from __future__ import annotations

from omnirelay.families.kling.pricing import PER_CALL_CHANNEL_TYPES, PER_CALL_PRICES
from omnirelay.families.spec import FamilySpec

__all__ = ["KLING"]

KLING = FamilySpec(
    name="kling",
    plugin="omnirelay.families.kling.plugin:PLUGIN",
    per_call_prices=frozenset(PER_CALL_PRICES),
    per_call_channel_types=frozenset(PER_CALL_CHANNEL_TYPES),
)
