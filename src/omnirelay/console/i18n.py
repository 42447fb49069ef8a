"""The console's languages: message catalogues (``messages/[<area>.]<lang>.json``) and per-locale formats.

A language is picked by the ``omnirelay_lang`` cookie, else the operator's ``console.default_language``.
Money is shown in the operator's display unit (``console.micro_units_per_unit``, ``console.money_symbol``);
times in UTC.
"""

from __future__ import annotations

import datetime
import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from starlette.requests import Request

from omnirelay.settings import ConsoleSettings

__all__ = ["LANGUAGES", "LANG_COOKIE", "Locale", "catalogue", "locale_of"]

LANGUAGES = ("en", "zh-CN")
LANG_COOKIE = "omnirelay_lang"
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The messages of ``lang`` (read once per process): ``messages/<lang>.json`` and every
    ``messages/<area>.<lang>.json`` (one file per console area, so areas grow apart); a key defined
    twice is a mistake and fails by name."""
    messages: dict[str, str] = {}
    folder = resources.files(__package__).joinpath("messages")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name != f"{lang}.json" and not entry.name.endswith(f".{lang}.json"):
            continue
        part: dict[str, str] = json.loads(entry.read_text(encoding="utf-8"))
        twice = messages.keys() & part.keys()
        if twice:
            raise ValueError(f"console messages defined twice in {entry.name}: {sorted(twice)}")
        messages |= part
    return messages


@dataclass(frozen=True, slots=True)
class Locale:
    lang: str
    micro_units_per_unit: int
    money_symbol: str

    def t(self, key: str, **values: object) -> str:
        """The message ``key`` in this language (English when missing), ``{name}`` filled from ``values``."""
        text = catalogue(self.lang).get(key) or catalogue("en").get(key) or key
        return text.format(**values) if values else text

    def money(self, micro: int | None) -> str:
        """``-$1,234.50``: grouped, at least two decimals and as many as the unit has (trailing zeros cut)."""
        amount = Decimal(micro or 0) / Decimal(self.micro_units_per_unit)
        places = max(2, len(str(self.micro_units_per_unit)) - 1)
        text = f"{abs(amount):,.{places}f}"
        whole, _, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(2, "0")
        return f"{'-' if amount < 0 else ''}{self.money_symbol}{whole}.{fraction}"

    def when(self, epoch_ms: int | None) -> str:
        if epoch_ms is None:
            return ""
        moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, datetime.UTC)
        clock = moment.strftime("%H:%M:%S")
        if self.lang == "zh-CN":
            return f"{moment.year}年{moment.month}月{moment.day}日 {clock} UTC"
        return f"{_MONTHS_EN[moment.month - 1]} {moment.day}, {moment.year}, {clock} UTC"

    def number(self, value: int | None) -> str:
        return f"{value or 0:,}"


def locale_of(request: Request, settings: ConsoleSettings) -> Locale:
    lang = request.cookies.get(LANG_COOKIE, "")
    if lang not in LANGUAGES:
        lang = settings.default_language
    return Locale(lang, settings.micro_units_per_unit, settings.money_symbol)
