"""The bounds every amount of money and every usage count respects, checked where they enter.

Money is whole micro-units. :data:`MAX_AMOUNT` bounds every amount that enters: an opening
balance, a top-up or debit, a key's spend cap, a hold and a settlement, and the balance a
top-up leaves. 10^15 micro-units (a billion units) is far above any real amount, exact in a
double (Redis counters, JavaScript clients), and thousands of them still add up inside the
store's 64-bit integers, so no sum of balances, entries or costs can overflow. Prices have
their own bound (``billing/price_rules.py``), chosen so that one call stays within this one.

Usage counts an upstream reports are whole numbers from 0 to :data:`MAX_TOKENS`; anything
else (negative, fractional, a boolean, absurdly large) is not usage, and the call is billed
on the gateway's own count instead (``providers/base.py``: :meth:`Usage.checked`).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from pydantic import Field

from omnirelay.errors import InvalidRequest

__all__ = [
    "MAX_AMOUNT",
    "MAX_TOKENS",
    "Amount",
    "SignedAmount",
    "checked_amount",
    "is_count",
    "settle_bound",
]

MAX_AMOUNT = 10**15
"""The largest amount of micro-units anything may hold, move or cost."""

MAX_TOKENS = 10**9
"""The largest token (or second, or character) count one call may report; fits 32-bit log columns."""

Amount = Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT)]
"""A pydantic field of micro-units: an integer (no booleans, no strings) from 0 to MAX_AMOUNT."""

SignedAmount = Annotated[int, Field(strict=True, ge=-MAX_AMOUNT, le=MAX_AMOUNT)]
"""Like :data:`Amount`, negative allowed (a debit)."""


def is_count(value: object, limit: int = MAX_TOKENS) -> bool:
    """A whole number from 0 to ``limit``: not a boolean, not a float, not a string."""
    return type(value) is int and 0 <= value <= limit


def checked_amount(value: object, field: str, *, signed: bool = False, high: int = MAX_AMOUNT) -> int:
    """``value`` as micro-units up to ``high``, or a 400 naming ``field`` and what it accepts."""
    low = -MAX_AMOUNT if signed else 0
    if type(value) is not int:
        raise InvalidRequest(
            f"{field} must be a whole number of micro-units (an integer, not {type(value).__name__}); got {value!r}.",
            param=field,
        )
    if not low <= value <= high:
        raise InvalidRequest(f"{field} must be from {low} to {high} micro-units; got {value}.", param=field)
    return value


def settle_bound(hold: int, tolerance: Fraction) -> int:
    """The most a call that held ``hold`` may be charged: the hold plus ``tolerance`` of it, rounded down."""
    return min(MAX_AMOUNT, hold + _truncated(hold * tolerance.numerator, tolerance.denominator))


def _truncated(numerator: int, denominator: int) -> int:
    """``int(Fraction(numerator, denominator))`` (rounded toward zero) without building the fraction."""
    whole = abs(numerator) // denominator
    return whole if numerator >= 0 else -whole
