"""Whole numbers taken from request input (URL paths, query strings, form fields, JSON bodies), checked once.

The store sets the ranges that matter. ``sa.Integer`` columns (ids of accounts, keys and channels;
a key's request limits) hold 32 bits on PostgreSQL; ``sa.BigInteger`` columns (amounts, times, the
ids of log rows, ledger entries and webhook deliveries) and every SQLite integer hold 64. A number
outside its column's range can neither name a row nor be stored, so it is refused here, with a 400
naming the field, instead of surfacing as an ``OverflowError`` from the database driver.

Text is parsed strictly: ASCII digits only (``str.isdigit`` also accepts ``"²"``, which ``int``
refuses) and at most 19 of them, so ``int`` never meets a 5,000-digit string.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictInt

from omnirelay.errors import InvalidRequest

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "PositiveInt32",
    "RowId",
    "check_json_integers",
    "optional_whole_number",
    "row_id_in",
    "whole_number",
]

INT32_MAX = 2**31 - 1
"""Largest value of an ``sa.Integer`` column on PostgreSQL."""
INT64_MAX = 2**63 - 1
"""Largest value of an ``sa.BigInteger`` column, and of any SQLite integer."""
_MAX_DIGITS = len(str(INT64_MAX))

RowId = Annotated[StrictInt, Field(ge=1, le=INT32_MAX)]
"""The id of an account, key or channel, in a JSON body."""
PositiveInt32 = Annotated[StrictInt, Field(ge=1, le=INT32_MAX)]
"""A count stored in an ``sa.Integer`` column that must be at least 1 (a key's rpm, for one)."""


def _refusal(name: str, low: int, high: int) -> InvalidRequest:
    return InvalidRequest(f"{name} must be a whole number from {low} to {high}.", param=name)


def whole_number(text: str, name: str, *, low: int = 0, high: int = INT64_MAX) -> int:
    """``text`` as an int in ``[low, high]``, or a 400 naming ``name`` and the range."""
    digits = text[1:] if low < 0 and text.startswith("-") else text
    if not digits or len(digits) > _MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
        raise _refusal(name, low, high)
    value = int(text)
    if not low <= value <= high:
        raise _refusal(name, low, high)
    return value


def optional_whole_number(
    text: str | None, name: str, *, low: int = 0, high: int = INT64_MAX, default: int | None = None
) -> int | None:
    """Like :func:`whole_number`; an absent or empty value gives ``default``."""
    if text is None or text == "":
        return default
    return whole_number(text, name, low=low, high=high)


def row_id_in(text: str) -> int | None:
    """The account, key or channel id ``text`` spells (1 to :data:`INT32_MAX`), else None: it may be a name."""
    try:
        return whole_number(text, "id", low=1, high=INT32_MAX)
    except InvalidRequest:
        return None


def check_json_integers(value: Any, where: str = "") -> None:
    """Refuse any JSON integer beyond 64 bits, anywhere in a parsed body, naming where it is."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            name = where or "the body"
            raise InvalidRequest(f"{name} is beyond the 64-bit range of a stored number.", param=where or None)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_json_integers(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_integers(item, f"{where}[{index}]")
