"""What makes a price valid: bounded whole amounts, a mode that follows from the fields, and
no price that silently bills nothing.

Every intake goes through :func:`checked_price` (the settings file's ``[[prices]]``,
``omnirelay prices set``, ``PUT /api/admin/prices/{model}``), and every group multiplier
through :func:`checked_multiplier`; :func:`price_warnings` says why a stored price cannot bill.
A per-token price's optional fields (``billing/price_extras.py``: per-kind rates, context tiers,
the web search surcharge) obey the same bound; tier thresholds are token counts from 1 to
``MAX_TOKENS``, strictly increasing. A field name the price does not know is refused with the
nearest known one, so a typo never leaves a kind billed at the wrong rate.

Bounds: an amount is a whole number of micro-units from 0 to ``MAX_PRICE`` = 10^12 (one
million units) per call or per million tokens, a multiplier is from 0 to ``MAX_MULTIPLIER`` =
1000. One call then costs at most 10^15 micro-units per image or task, or 10^9 per token, and
the store's 64-bit integers (up to 9.2 x 10^18) hold that for over 9,000 images or 9 billion
tokens in a single call: far more than one request can carry, so usage x price never
overflows a balance, a ledger entry or a log row.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from fractions import Fraction
from itertools import pairwise
from typing import cast, get_args

from omnirelay.billing.amounts import MAX_TOKENS, checked_amount
from omnirelay.billing.per_call_families import PER_CALL_PRICES
from omnirelay.billing.price_extras import EXTRA_FIELDS, KIND_FIELDS, KindRates, PriceExtras, RateSet, Tier
from omnirelay.billing.prices import Price, PriceMode
from omnirelay.errors import InvalidRequest

__all__ = ["MAX_MULTIPLIER", "MAX_PRICE", "MAX_TIERS", "checked_multiplier", "checked_price", "price_warnings"]

MAX_PRICE = 10**12
"""Micro-units per call or per million tokens (one million units)."""
MAX_MULTIPLIER = 1000
MAX_TIERS = 16
_MULTIPLIER_CHARS = 40
"""The stored multiplier column's width."""
_MODES: tuple[str, ...] = get_args(PriceMode)
_TOKEN_FIELDS = ("input_per_million", "output_per_million")
_PRICE_FIELDS = ("mode", "per_call", *_TOKEN_FIELDS, *EXTRA_FIELDS)
_TIER_FIELDS = ("above_prompt_tokens", *_TOKEN_FIELDS, *KIND_FIELDS.values())
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
    **extras: object,
) -> Price:
    """The price these fields describe, or :class:`InvalidRequest` naming the field to fix.

    ``mode`` may be left out: ``per_call`` alone means per call, token fields mean per token.
    A field that is absent or 0 is not set (an optional per-kind rate of 0 is set: that kind is
    free). ``extras``: the optional per-token fields of ``billing/price_extras.py``. Refused:
    ``per_call`` together with a token field, fields the mode does not bill, a price that bills
    nothing without saying ``mode=free``, a per-token price on a name its family bills per call
    only (``mj_imagine``...), and a field name the price does not know."""
    checked_extras = _checked_extras(extras)
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
    _check_token_fields(model, chosen, extras)
    return Price(
        model,
        chosen,
        per_call=amounts["per_call"],
        input_per_million=amounts["input_per_million"],
        output_per_million=amounts["output_per_million"],
        extras=checked_extras,
    )


def _check_token_fields(model: str, chosen: PriceMode, extras: Mapping[str, object]) -> None:
    """Token fields only on per-token prices, and per-token prices only on names that report tokens."""
    if chosen == "per_token" and model in PER_CALL_PRICES:
        raise InvalidRequest(
            f"{model!r} is billed per call only (its calls report no tokens), so a per-token price would bill "
            "nothing: give per_call (micro-units per call), or mode=free.",
            param="mode",
        )
    given = [name for name in EXTRA_FIELDS if extras.get(name) is not None]
    if given and chosen != "per_token":
        raise InvalidRequest(
            f"{given[0]} is a field of per-token prices, but this price is mode={chosen}: drop it, "
            "or bill per token (input_per_million, output_per_million).",
            param=given[0],
        )


def _unknown(name: str, known: Sequence[str], where: str = "") -> InvalidRequest:
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {near[0]}?" if near else f"known fields: {', '.join(known)}"
    return InvalidRequest(f"Unknown price field {where + name!r} ({hint}).", param=where + name)


def _checked_extras(given: Mapping[str, object]) -> PriceExtras:
    """The optional fields of a per-token price, each bounded like the other amounts."""
    for name in given:
        if name not in EXTRA_FIELDS:
            raise _unknown(name, _PRICE_FIELDS)
    kinds = {
        name: checked_amount(value, name, high=MAX_PRICE)
        for name in KIND_FIELDS.values()
        if (value := given.get(name)) is not None
    }
    search = given.get("web_search_per_call")
    return PriceExtras(
        KindRates(**kinds),
        _checked_tiers(given.get("tiers")),
        None if search is None else checked_amount(search, "web_search_per_call", high=MAX_PRICE),
    )


def _checked_tiers(value: object) -> tuple[Tier, ...]:
    """Context tiers: at most ``MAX_TIERS``, thresholds strictly increasing."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or len(value) > MAX_TIERS:
        raise InvalidRequest(
            f"tiers must be a list of at most {MAX_TIERS} tiers, each "
            "{above_prompt_tokens, input_per_million, output_per_million, <per-kind rates>}; "
            f"got {value!r}.",
            param="tiers",
        )
    tiers = tuple(_checked_tier(i, entry) for i, entry in enumerate(value))
    for i, (lower, higher) in enumerate(pairwise(tiers), start=1):
        if higher.above_prompt_tokens <= lower.above_prompt_tokens:
            raise InvalidRequest(
                f"tiers[{i}].above_prompt_tokens ({higher.above_prompt_tokens}) must be above "
                f"tiers[{i - 1}].above_prompt_tokens ({lower.above_prompt_tokens}): list tiers from the "
                "lowest threshold up.",
                param=f"tiers[{i}].above_prompt_tokens",
            )
    return tiers


def _checked_tier(index: int, entry: object) -> Tier:
    where = f"tiers[{index}]."
    if not isinstance(entry, Mapping):
        raise InvalidRequest(f"{where[:-1]} must be a table of price fields; got {entry!r}.", param=where[:-1])
    for name in entry:
        if name == "web_search_per_call":
            raise InvalidRequest(
                f"{where}web_search_per_call: the web search surcharge is set once per price, beside tiers, "
                "not per tier.",
                param=f"{where}{name}",
            )
        if name not in _TIER_FIELDS:
            raise _unknown(str(name), _TIER_FIELDS, where)
    above = entry.get("above_prompt_tokens")
    if type(above) is not int or not 1 <= above <= MAX_TOKENS:
        raise InvalidRequest(
            f"{where}above_prompt_tokens must be a whole number of prompt tokens from 1 to {MAX_TOKENS}; "
            f"got {above!r}.",
            param=f"{where}above_prompt_tokens",
        )
    for name in _TOKEN_FIELDS:
        if entry.get(name) is None:
            raise InvalidRequest(
                f"{where[:-1]} needs {name} (micro-units per million tokens): a tier prices every token "
                "of the request.",
                param=f"{where}{name}",
            )
    rates = {
        name: checked_amount(value, f"{where}{name}", high=MAX_PRICE)
        for name in _TIER_FIELDS[1:]
        if (value := entry.get(name)) is not None
    }
    base = (rates.pop("input_per_million"), rates.pop("output_per_million"))
    return Tier(above, RateSet(*base, KindRates(**rates)))


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
            **(price.extras.as_json() or {}),
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
