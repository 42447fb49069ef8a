"""The price names of the Ideogram family: per model, refined by operation (and by rendering speed on V3).

A call is billed by the first price that exists, most specific first:

* the legacy API: ``{model}:{operation}`` (``V_2:edit``), then ``{model}`` (``V_2``); ``upscale``
  names no model and is billed as ``V_2``; ``describe`` as its ``describe_model_version`` (``V_2``);
* the V3 API: ``V_3:{operation}:{speed}`` (``V_3:generate:TURBO``), ``V_3:{speed}``,
  ``V_3:{operation}``, ``V_3``; the speed defaults to ``DEFAULT``.

Images are held per image asked for (``num_images``) and settled per image returned; ``describe``
is one call. Every name is per call (Ideogram reports no tokens).
"""

from __future__ import annotations

__all__ = ["KNOWN_MODELS", "PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES", "V3_MODEL", "price_names"]

LEGACY_MODELS: tuple[str, ...] = ("V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO")
V3_MODEL = "V_3"
KNOWN_MODELS: tuple[str, ...] = (*LEGACY_MODELS, V3_MODEL)
PER_CALL_PRICES: tuple[str, ...] = KNOWN_MODELS
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("ideogram",)


def price_names(model: str, operation: str, speed: str | None = None) -> tuple[str, ...]:
    """``operation`` without its ``v3/`` prefix; ``speed`` for V3 calls only."""
    if speed is None:
        return (f"{model}:{operation}", model)
    return (f"{model}:{operation}:{speed}", f"{model}:{speed}", f"{model}:{operation}", model)
