"""The price names of the ``/mj`` family: each action is billed per call, its tasks report no tokens.

Collected with other families' per-call names in ``billing/per_call_families.py``, so a
per-token price (which would bill nothing) is refused on these names.
"""

from __future__ import annotations

from omnirelay.families.midjourney.actions import model_for

__all__ = ["BILLED_ACTIONS", "PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES"]

BILLED_ACTIONS: tuple[str, ...] = (
    "IMAGINE",
    "UPSCALE",
    "VARIATION",
    "LOW_VARIATION",
    "HIGH_VARIATION",
    "REROLL",
    "DESCRIBE",
    "BLEND",
    "SHORTEN",
    "PAN",
    "ZOOM",
    "VIDEO",
    "EDITS",
    "RETEXTURE",
    "MODAL",
    "UPLOAD",
    "SWAP_FACE",
)
"""Every action a submission, a button or a modal confirmation can be charged as."""

PER_CALL_PRICES: tuple[str, ...] = tuple(model_for(action) for action in BILLED_ACTIONS)
"""``mj_imagine``, ``mj_upscale``, ..., ``swap_face``."""

PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("midjourney",)
"""A Midjourney-Proxy channel never reports token usage, whatever model names it lists."""
