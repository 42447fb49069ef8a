"""The console's catalogues and formats: both languages have every message the templates ask for,
and money and dates are written per locale in the operator's display unit."""

from __future__ import annotations

import re
from importlib import resources

from omnirelay.console.i18n import LANGUAGES, Locale, catalogue

_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-zA-Z0-9_.\-]+)["']\s*[,)]""")
"""``t("a.b")`` or ``t("a.b", name=...)``; keys made with ``~`` (``t("keys." ~ verb)``) are checked below."""


def _templates() -> dict[str, str]:
    folder = resources.files("omnirelay.console").joinpath("templates")
    return {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.name.endswith(".html")}


def test_both_languages_have_the_same_messages() -> None:
    assert set(catalogue("en")) == set(catalogue("zh-CN"))
    assert all(value.strip() for lang in LANGUAGES for value in catalogue(lang).values())


def test_every_message_a_template_names_is_in_the_catalogue() -> None:
    used = {key for text in _templates().values() for key in _LITERAL_KEY.findall(text)}
    made = {f"keys.{v}" for v in ("enable", "disable")} | {f"lang.{lang}" for lang in LANGUAGES}
    made |= {f"home.example_{name}" for name in ("curl", "python", "node")}
    assert used and not (used | made) - set(catalogue("en"))


def test_templates_hold_no_words_of_their_own() -> None:
    """Text between tags is a placeholder ({{ ... }}), never a sentence written into the template."""
    for name, text in _templates().items():
        stripped = re.sub(r"{[{%#].*?[}%#]}", "", text, flags=re.S)
        words = [w for w in re.findall(r">([^<]+)<", stripped) if re.search(r"[A-Za-z\u4e00-\u9fff]{2,}", w)]
        assert not words, f"{name}: {words}"


def test_money_is_shown_in_the_display_unit_per_locale() -> None:
    dollars = Locale("en", 1_000_000, "$")
    assert dollars.money(1_234_500_000) == "$1,234.50"
    assert dollars.money(150) == "$0.00015"
    assert dollars.money(-2_000_000) == "-$2.00"
    assert Locale("zh-CN", 100, "¥").money(12345) == "¥123.45"


def test_dates_are_written_per_locale_in_utc() -> None:
    moment = 1_796_553_126_000  # 2026-12-06 10:32:06 UTC
    assert Locale("en", 1, "$").when(moment) == "Dec 6, 2026, 10:32:06 UTC"
    assert Locale("zh-CN", 1, "¥").when(moment) == "2026年12月6日 10:32:06 UTC"
