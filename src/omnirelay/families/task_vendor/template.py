"""The vendor templates: ``{{ name }}`` and ``{{ body.field }}`` placeholders in strings, nothing more.

There are no expressions, filters or calls: a placeholder names a variable (or a field of the client's
body) and is replaced by its value. A string that is exactly one placeholder takes the value as it is
(a number stays a number, an object an object) and, when the value is absent, its key is left out of
the object it sits in; inside a longer string the value is written as text (absent: empty).

Templates are parsed when the configuration is loaded: a placeholder that is malformed or names a
variable the place does not offer is refused there, naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import orjson

__all__ = ["ABSENT", "check_template", "placeholders", "render_path", "render_text", "render_value"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)\s*\}\}")
_BRACES = re.compile(r"\{\{|\}\}")


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""A template value that is not there: the key holding it is left out."""


def placeholders(text: str) -> list[str]:
    """The variables ``text`` names; ValueError for braces that are not a placeholder."""
    names = [m.group(1) for m in _PLACEHOLDER.finditer(text)]
    if len(_BRACES.findall(_PLACEHOLDER.sub("", text))) > 0:
        raise ValueError(f"{text!r} has '{{{{' or '}}}}' that is not a placeholder like {{{{ body.field }}}}")
    return names


def _strings(template: Any) -> Iterator[str]:
    if isinstance(template, str):
        yield template
    elif isinstance(template, Mapping):
        for value in template.values():
            yield from _strings(value)
    elif isinstance(template, list):
        for value in template:
            yield from _strings(value)


def check_template(template: Any, variables: Mapping[str, str]) -> None:
    """ValueError naming the first placeholder of ``template`` that is not in ``variables`` (name -> help)."""
    for text in _strings(template):
        for name in placeholders(text):
            if name not in variables:
                offered = ", ".join(sorted(variables)) or "none"
                raise ValueError(f"{{{{ {name} }}}} is not defined here (defined: {offered})")


def _lookup(name: str, values: Mapping[str, Any]) -> Any:
    return values.get(name, ABSENT)


def _text(value: Any) -> str:
    if value is ABSENT or value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def render_text(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each placeholder replaced by its value as text."""
    return _PLACEHOLDER.sub(lambda m: _text(_lookup(m.group(1), values)), text)


def render_path(text: str, values: Mapping[str, Any]) -> str:
    """Like :func:`render_text`, each value percent-encoded whole: a client's ``../x`` or ``?a=b`` stays
    one path segment (or query value) and cannot reach another of the vendor's endpoints."""
    return _PLACEHOLDER.sub(lambda m: quote(_text(_lookup(m.group(1), values)), safe=""), text)


def render_value(template: Any, values: Mapping[str, Any]) -> Any:
    """``template`` (JSON) with its placeholders filled; keys whose whole value is absent are left out."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template.strip())
        return _lookup(whole.group(1), values) if whole else render_text(template, values)
    if isinstance(template, Mapping):
        filled = {key: render_value(value, values) for key, value in template.items()}
        return {key: value for key, value in filled.items() if value is not ABSENT}
    if isinstance(template, list):
        return [v for v in (render_value(item, values) for item in template) if v is not ABSENT]
    return template
