"""What a finished Seedance task costs: the price of what the upstream reported making.

A create holds the price of the resolution and duration it asked for. When the task succeeds, the
upstream's own report (its ``resolution`` and ``duration``) names the price of what was made; the
task costs the hold scaled by that price over the price held (both read from the price list, so the
group's multiplier cancels out). The engine bounds the cost by the hold
(:func:`~omnirelay.tasks.billing.closing_entry`): a task never costs more than was held.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from omnirelay.families.ark.pricing import video_price_names
from omnirelay.tasks.model import TaskRecord

__all__ = ["PerCall", "made_cost"]

PerCall = Callable[[str], int | None]
"""A price name -> its per-call amount, or None when no such price exists."""


def _reported(record: TaskRecord) -> tuple[str, int] | None:
    ark = record.result.get("ark")
    if not isinstance(ark, Mapping):
        return None
    resolution, duration = ark.get("resolution"), ark.get("duration")
    if not isinstance(resolution, str) or isinstance(duration, bool) or not isinstance(duration, int | float):
        return None
    return resolution, round(duration)


def made_cost(record: TaskRecord, per_call: PerCall) -> int | None:
    """The cost of a task that just succeeded; None: its hold."""
    made, held_name = _reported(record), record.request.get("price")
    if made is None or not isinstance(held_name, str):
        return None
    names = video_price_names(record.model, *made)
    made_price = next((p for name in names if (p := per_call(name)) is not None), None)
    held = per_call(held_name)
    if not held or made_price is None:
        return None
    return record.hold * made_price // held
