"""What a finished Kling task costs: what the upstream produced, never more than was held.

A create holds the price of what it asked for (``n`` images; a video of ``duration`` seconds).
When the upstream made less (fewer images, a 5-second video for a 10-second ask) the task costs
the share it made: the held amount scaled by the images made, or by the price of the duration
made over the price held (both read from the price list, so the group's multiplier cancels out).
The engine bounds the cost by the hold (:func:`~omnirelay.tasks.billing.closing_entry`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from omnirelay.families.kling.pricing import video_price_names
from omnirelay.tasks.model import TaskRecord

__all__ = ["PerCall", "produced_cost"]

PerCall = Callable[[str], int | None]
"""A price name -> its per-call amount, or None when no such price exists."""

_LONG_FROM_S = 7.5
"""A video longer than this is the 10-second kind (Kling reports ``"5.1"``, ``"10.04"``...)."""


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _images_cost(record: TaskRecord) -> int | None:
    asked, made = _count(record.request.get("calls")), record.result.get("images")
    if asked is None or not isinstance(made, list) or len(made) >= asked:
        return None
    return record.hold * len(made) // asked


def _made_duration(record: TaskRecord) -> str | None:
    videos = record.result.get("videos")
    first = videos[0] if isinstance(videos, list) and videos else None
    raw = first.get("duration") if isinstance(first, Mapping) else None
    if not isinstance(raw, str | int | float) or isinstance(raw, bool):
        return None
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return "10" if seconds > _LONG_FROM_S else "5"


def _video_cost(record: TaskRecord, per_call: PerCall) -> int | None:
    asked, made = record.request.get("duration"), _made_duration(record)
    mode, held_name = record.request.get("mode"), record.request.get("price")
    if made is None or made == asked or not isinstance(mode, str) or not isinstance(held_name, str):
        return None
    held = per_call(held_name)
    made_price = next((p for n in video_price_names(record.model, mode, made) if (p := per_call(n)) is not None), None)
    if not held or made_price is None:
        return None
    return record.hold * made_price // held


def produced_cost(record: TaskRecord, per_call: PerCall) -> int | None:
    """The cost of a task that just succeeded; None: its hold."""
    if record.request.get("kind") == "images":
        return _images_cost(record)
    return _video_cost(record, per_call)
