"""What makes a price valid: bounded whole amounts, a mode that follows from the fields, and
no price that silently bills nothing.

Every intake goes through :func:`checked_price` (the settings file's ``[[prices]]``,
``omnirelay prices set``, ``PUT /api/admin/prices/{model}``), and every group multiplier
through :func:`checked_multiplier`; :func:`price_warnings` says why a stored price cannot bill.

Bounds: an amount is a whole number of micro-units from 0 to ``MAX_PRICE`` = 10^12 (one
million units) per call or per million tokens, a multiplier is from 0 to ``MAX_MULTIPLIER`` =
1000. One call then costs at most 10^15 micro-units per image or task, or 10^9 per token, and
the store's 64-bit integers (up to 9.2 x 10^18) hold that for over 9,000 images or 9 billion
tokens in a single call: far more than one request can carry, so usage x price never
overflows a balance, a ledger entry or a log row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import cast, get_args

from omnirelay.billing.amounts import checked_amount
from omnirelay.billing.per_call_families import PER_CALL_PRICES
from omnirelay.billing.prices import Price, PriceMode
from omnirelay.errors import InvalidRequest

__all__ = ["MAX_MULTIPLIER", "MAX_PRICE", "checked_multiplier", "checked_price", "price_warnings"]

MAX_PRICE = 10**12
"""Micro-units per call or per million tokens (one million units)."""
MAX_MULTIPLIER = 1000
_MULTIPLIER_CHARS = 40
"""The stored multiplier column's width."""
_MODES: tuple[str, ...] = get_args(PriceMode)
_TOKEN_FIELDS = ("input_per_million", "output_per_million")
_NOTHING = (
    "give per_call (micro-units per call), or input_per_million/output_per_million "
    "(micro-units per million tokens), or mode=free"
)


def _amount(name: str, value: object) -> int:
    """A price field: absent is 0; otherwise a whole, bounded number (no booleans, no strings)."""
    return 0 if value is None else checked_amount(value, name, high=MAX_PRICE)


def _inferred(amounts: Mapping[str, int]) -> PriceMode:
    if amounts["per_call"]:
        return "per_call"
    if any(amounts[f] for f in _TOKEN_FIELDS):
        return "per_token"
    raise InvalidRequest(f"This price would bill nothing: {_NOTHING}.", param="mode")


_BILLED: dict[str, tuple[str, ...]] = {"free": (), "per_call": ("per_call",), "per_token": _TOKEN_FIELDS}


def _checked_mode(mode: PriceMode, amounts: Mapping[str, int]) -> PriceMode:
    """``mode`` as given, when the amounts agree with it."""
    billed = _BILLED[mode]
    stray = [name for name, value in amounts.items() if value and name not in billed]
    if stray:
        also = f"drop it, or drop mode to bill {stray[0]}" if mode == "free" else "drop it, or change mode"
        raise InvalidRequest(
            f"mode={mode} does not bill {stray[0]}, but it is set: {also}.",
            param=stray[0],
        )
    if billed and not any(amounts[name] for name in billed):
        raise InvalidRequest(
            f"mode={mode} needs {' or '.join(billed)} above 0 (micro-units per "
            f"{'call' if mode == 'per_call' else 'million tokens'}); a price that bills nothing is mode=free.",
            param=billed[0],
        )
    return mode


def checked_price(
    model: str,
    *,
    mode: object = None,
    per_call: object = None,
    input_per_million: object = None,
    output_per_million: object = None,
) -> Price:
    """The price these fields describe, or :class:`InvalidRequest` naming the field to fix.

    ``mode`` may be left out: ``per_call`` alone means per call, token fields mean per token.
    A field that is absent or 0 is not set. Refused: ``per_call`` together with a token field,
    fields the mode does not bill, a price that bills nothing without saying ``mode=free``, and
    a per-token price on a name its family bills per call only (``mj_imagine``...)."""
    if mode is not None and mode not in _MODES:
        raise InvalidRequest(f"mode must be one of {', '.join(_MODES)} (or left out); got {mode!r}.", param="mode")
    given = {"per_call": per_call, "input_per_million": input_per_million, "output_per_million": output_per_million}
    amounts = {name: _amount(name, value) for name, value in given.items()}
    tokens = [f for f in _TOKEN_FIELDS if amounts[f]]
    if amounts["per_call"] and tokens:
        raise InvalidRequest(
            f"per_call and {tokens[0]} cannot both be set: a price is either per call (per_call) "
            "or per token (input_per_million, output_per_million).",
            param=tokens[0],
        )
    chosen = _inferred(amounts) if mode is None else _checked_mode(cast(PriceMode, mode), amounts)
    if chosen == "per_token" and model in PER_CALL_PRICES:
        raise InvalidRequest(
            f"{model!r} is billed per call only (its calls report no tokens), so a per-token price would bill "
            "nothing: give per_call (micro-units per call), or mode=free.",
            param="mode",
        )
    return Price(
        model,
        chosen,
        per_call=amounts["per_call"],
        input_per_million=amounts["input_per_million"],
        output_per_million=amounts["output_per_million"],
    )


def price_warnings(price: Price, per_call_channels: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Why ``price`` (perhaps stored before these rules) cannot bill; empty when it can.

    ``per_call_channels``: (name, type) of the channels serving its model whose type bills per
    call only; a per-token price bills nothing there."""
    try:
        checked_price(
            price.model,
            mode=price.mode,
            per_call=price.per_call,
            input_per_million=price.input_per_million,
            output_per_million=price.output_per_million,
        )
    except InvalidRequest as exc:
        return [exc.message]
    if price.mode == "per_token" and per_call_channels:
        served = ", ".join(f"{name!r} (type {kind})" for name, kind in per_call_channels)
        return [
            f"{price.model!r} is served by channel {served}, which bills per call only: this per-token price "
            "bills nothing there. Give per_call (micro-units per call) instead."
        ]
    return []


def checked_multiplier(group: str, text: object) -> Fraction:
    """A group multiplier: a decimal or fraction string from 0 to ``MAX_MULTIPLIER``."""
    refused = InvalidRequest(
        f"The multiplier of group {group!r} must be a decimal or fraction string from 0 to {MAX_MULTIPLIER}, "
        f'such as "0.8" or "3/2"; got {text!r}.',
        param="multiplier",
    )
    if not isinstance(text, str) or len(text) > _MULTIPLIER_CHARS:
        raise refused
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise refused from exc
    if not 0 <= value <= MAX_MULTIPLIER:
        raise refused
    return value
