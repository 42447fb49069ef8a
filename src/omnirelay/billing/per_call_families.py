"""Price names and channel types billed per call only, as each task family declares them.

A family whose calls report no token usage declares ``per_call_prices`` (its price names) and
``per_call_channel_types`` (channel types that can only bill per call) on its
:class:`~omnirelay.families.spec.FamilySpec`; they are collected here from the registry.
``billing/price_rules.py`` uses them to refuse, or warn about, a per-token price that could
never bill anything.
"""

from __future__ import annotations

from omnirelay.families.registry import FAMILIES

__all__ = ["PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES"]

PER_CALL_PRICES: frozenset[str] = frozenset().union(*(f.per_call_prices for f in FAMILIES))
PER_CALL_CHANNEL_TYPES: frozenset[str] = frozenset().union(*(f.per_call_channel_types for f in FAMILIES))
