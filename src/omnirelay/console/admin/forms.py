"""Reading the operator console's form fields: signed amounts, whole numbers, model maps."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from omnirelay.errors import InvalidRequest

__all__ = ["model_map", "page_int", "signed_micro_units", "whole_or_none"]


def signed_micro_units(text: str, field: str, per_unit: int) -> int:
    """An amount typed in the display unit, ``-2.5`` allowed, as micro-units; required."""
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise InvalidRequest(f"{field} must be a number.", param=field) from exc
    if not amount.is_finite() or amount == 0:
        raise InvalidRequest(f"{field} must be a number other than 0.", param=field)
    return int(amount * per_unit)


def whole_or_none(text: str, field: str, *, signed: bool = False) -> int | None:
    """A whole number (negative allowed with ``signed``), or None when empty."""
    digits = text.strip()
    if not digits:
        return None
    body = digits[1:] if signed and digits.startswith("-") else digits
    if not (body.isascii() and body.isdigit()) or len(body) > 10:
        raise InvalidRequest(f"{field} must be a whole number.", param=field)
    return int(digits)


def page_int(text: str | None, field: str) -> int | None:
    """A positive id from a query string, or None."""
    value = whole_or_none(text or "", field)
    if value is not None and value < 1:
        raise InvalidRequest(f"{field} must be at least 1.", param=field)
    return value


def model_map(text: str) -> dict[str, str]:
    """``public=upstream`` pairs, one per line or separated by commas."""
    mapping: dict[str, str] = {}
    for item in text.replace(",", "\n").splitlines():
        if not item.strip():
            continue
        public, sep, upstream = item.partition("=")
        if not sep or not public.strip() or not upstream.strip():
            raise InvalidRequest(f"model_map: {item.strip()!r} is not 'model=upstream model'.", param="model_map")
        mapping[public.strip()] = upstream.strip()
    return mapping
