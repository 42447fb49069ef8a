"""The price names of the MiniMax family: ``{model}:{resolution}:{duration}`` (``MiniMax-Hailuo-02:1080P:6``),
``{model}:{resolution}``, ``{model}``; each billed per call (a task reports no tokens)."""

from __future__ import annotations

__all__ = ["KNOWN_MODELS", "PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES"]

KNOWN_MODELS: tuple[str, ...] = (
    "MiniMax-Hailuo-2.3",
    "MiniMax-Hailuo-2.3-Fast",
    "MiniMax-Hailuo-02",
    "T2V-01",
    "T2V-01-Director",
    "I2V-01",
    "I2V-01-Director",
    "I2V-01-live",
    "S2V-01",
)
PER_CALL_PRICES: tuple[str, ...] = KNOWN_MODELS
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("minimax",)
"""A MiniMax channel never reports token usage, whatever models it lists."""
