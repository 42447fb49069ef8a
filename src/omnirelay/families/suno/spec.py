"""The Suno family's registration line (imported by billing: keep it to the price list)."""

from __future__ import annotations

from omnirelay.families.spec import FamilySpec
from omnirelay.families.suno.pricing import PER_CALL_CHANNEL_TYPES, PER_CALL_PRICES

__all__ = ["SUNO"]

SUNO = FamilySpec(
    name="suno",
    plugin="omnirelay.families.suno.plugin:PLUGIN",
    per_call_prices=frozenset(PER_CALL_PRICES),
    per_call_channel_types=frozenset(PER_CALL_CHANNEL_TYPES),
)
