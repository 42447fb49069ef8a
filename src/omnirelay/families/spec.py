"""A family's registration line: plain data that any module may import.

``settings`` reaches the per-call price names through billing, so this module and each
family's ``spec.py`` import nothing heavier than the family's price list; the family's code
is named by import string and loaded when the app is built (:mod:`omnirelay.families.plugins`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FamilySpec"]


@dataclass(frozen=True, slots=True)
class FamilySpec:
    """One family: its name, what billing must know of it, and where its plugin lives."""

    name: str
    plugin: str
    """``"module:attribute"`` of its :class:`~omnirelay.families.base.TaskFamilyPlugin` (uvicorn's importer)."""
    per_call_prices: frozenset[str] = frozenset()
    """Price names billed per call only: a per-token price on them is refused."""
    per_call_channel_types: frozenset[str] = frozenset()
    """Channel types that never report token usage, whatever models they list."""
