"""The public model and price list: the price records the gateway bills with (``catalog.snapshot.prices``).

A model is listed when a usable channel serves it (a ``{model}:{variant}`` price when its model is
served), so the list never offers what cannot be called. Amounts are micro-units, as billed.
"""

from __future__ import annotations

from typing import Any

from omnirelay.billing.prices import Price
from omnirelay.catalog import Snapshot

__all__ = ["price_list"]


def _served(snapshot: Snapshot) -> set[str]:
    return {model for model, channels in snapshot.by_model.items() if any(c.usable for c in channels)}


def _entry(price: Price) -> dict[str, Any]:
    extras = price.extras.as_json() or {}
    return {
        "model": price.model,
        "mode": price.mode,
        "input_per_million": price.input_per_million if price.mode == "per_token" else None,
        "output_per_million": price.output_per_million if price.mode == "per_token" else None,
        "per_call": price.per_call if price.mode == "per_call" else None,
        "extras": extras,
    }


def price_list(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Every priced model a channel serves, by name."""
    served = _served(snapshot)
    listed = [p for name, p in snapshot.prices.items() if name in served or name.partition(":")[0] in served]
    return [_entry(p) for p in sorted(listed, key=lambda p: p.model)]
