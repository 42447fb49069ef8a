"""Price names and channel types billed per call only, as each API family declares them.

A family whose calls report no token usage exports ``PER_CALL_PRICES`` (its price names) and
``PER_CALL_CHANNEL_TYPES`` (channel types that can only bill per call); registering it is one
line in each set below. ``billing/price_rules.py`` uses them to refuse, or warn about, a
per-token price that could never bill anything.
"""

from __future__ import annotations

from omnirelay.midjourney import pricing as midjourney

__all__ = ["PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES"]

PER_CALL_PRICES: frozenset[str] = frozenset(midjourney.PER_CALL_PRICES)
PER_CALL_CHANNEL_TYPES: frozenset[str] = frozenset(midjourney.PER_CALL_CHANNEL_TYPES)
