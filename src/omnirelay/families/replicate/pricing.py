"""The price names of the Replicate family: one per known model (``owner/name``), billed per call.

A price's ``per_call`` is per prediction for official models and per second of
``metrics.predict_time`` for version-pinned ones (:attr:`~.models.KnownModel.per_second`).
A per-second prediction holds :data:`RESERVED_SECONDS` seconds (or its ``Cancel-After``, which
bounds its run) at create and settles at the seconds it used; a failed, canceled or aborted
one is refunded. Collected with other families' names in ``billing/per_call_families.py``,
so a per-token price (which would bill nothing) is refused on these names.
"""

from __future__ import annotations

from omnirelay.families.replicate.models import KNOWN_MODELS, KnownModel

__all__ = ["PER_CALL_CHANNEL_TYPES", "PER_CALL_PRICES", "RESERVED_SECONDS", "reserved_units"]

PER_CALL_PRICES: tuple[str, ...] = tuple(model.name for model in KNOWN_MODELS)
PER_CALL_CHANNEL_TYPES: tuple[str, ...] = ("replicate",)
"""A Replicate channel never reports token usage, whatever models it lists."""
RESERVED_SECONDS = 300
"""Seconds held for a prediction billed per second, when no ``Cancel-After`` bounds it sooner."""


def reserved_units(known: KnownModel | None, cancel_after_s: int | None) -> int:
    """Units of the per-call price held at create: 1 prediction, or the seconds it may run."""
    if known is None or not known.per_second:
        return 1
    return min(RESERVED_SECONDS, cancel_after_s) if cancel_after_s is not None else RESERVED_SECONDS
