"""Reading console form fields into what the services take: dates, money in the display unit, lists."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from omnirelay.errors import InvalidRequest

__all__ = ["day_ms", "day_text", "listed", "micro_units", "whole"]

_DAY_MS = 86_400_000


def day_ms(text: str, field: str, *, end_of_day: bool = False) -> int:
    """``2026-12-31`` as epoch milliseconds at 00:00 UTC (the next day's 00:00 with ``end_of_day``)."""
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidRequest(f"{field} must be a date such as 2026-12-31.", param=field) from exc
    start = int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC).timestamp() * 1000)
    return start + (_DAY_MS if end_of_day else 0)


def day_text(epoch_ms: int | None, *, end_of_day: bool = False) -> str:
    if epoch_ms is None:
        return ""
    moment = epoch_ms - (_DAY_MS if end_of_day else 0)
    return datetime.datetime.fromtimestamp(moment / 1000, datetime.UTC).date().isoformat()


def listed(text: str) -> list[str] | None:
    """Items separated by commas, spaces or new lines; None when there are none (no restriction)."""
    items = [item for item in re.split(r"[\s,]+", text) if item]
    return items or None


def micro_units(text: str, field: str, per_unit: int) -> int | None:
    """An amount typed in the display unit (``1.5``) as micro-units; None when empty."""
    if not text.strip():
        return None
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise InvalidRequest(f"{field} must be a number.", param=field) from exc
    if not amount.is_finite() or amount < 0:
        raise InvalidRequest(f"{field} must be a positive number.", param=field)
    return int(amount * per_unit)


def whole(text: str, field: str) -> int | None:
    """A whole number of at least 1, or None when empty."""
    digits = text.strip()
    if not digits:
        return None
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 10 or int(digits) < 1:
        raise InvalidRequest(f"{field} must be a whole number of at least 1.", param=field)
    return int(digits)
