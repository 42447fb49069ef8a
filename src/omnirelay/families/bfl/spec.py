"""The BFL family's registration line (imported by billing: keep it to the price list)."""

from __future__ import annotations

from omnirelay.families.bfl.pricing import KNOWN_MODELS, PER_CALL_CHANNEL_TYPES
from omnirelay.families.spec import FamilySpec

__all__ = ["BFL"]

BFL = FamilySpec(
    name="bfl",
    plugin="omnirelay.families.bfl.plugin:PLUGIN",
    per_call_prices=frozenset(KNOWN_MODELS),
    per_call_channel_types=frozenset(PER_CALL_CHANNEL_TYPES),
)
