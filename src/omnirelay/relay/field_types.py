"""The JSON types of the request fields the gateway itself reads, checked once where a body enters.

Relays, adapters and transforms read some fields of a body (``stream_options``, ``n``, ``stop``,
each message...) to decide how to call an upstream; a value of the wrong type would fail deep
inside one of them, as a 500. Each table below names the type of every field read; the relay
checks a body against its table before anything is reserved or forwarded, and a field of the
wrong type is a 400 naming it. Fields not listed pass through untouched, for the upstream to
judge. A null member means "the default" and is always accepted; array items are not optional.

Paths: ``a.b`` is member ``b`` of object ``a``; ``a[]`` is every item of array ``a``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

from omnirelay.errors import InvalidRequest

__all__ = ["CHAT_FIELDS", "FieldTypes", "check_field_types"]

FieldTypes = Mapping[str, tuple[str, ...]]
"""Path -> the JSON types it may hold: ``object``, ``array``, ``string``, ``boolean``, ``integer``, ``number``."""

_ARTICLES = {"object": "an object", "array": "an array", "integer": "an integer", "null": "null"}
_PYTHON: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
}

CHAT_FIELDS: FieldTypes = {
    "model": ("string",),
    "messages": ("array",),
    "messages[]": ("object",),
    "messages[].role": ("string",),
    "messages[].content": ("string", "array"),
    "stream": ("boolean",),
    "stream_options": ("object",),
    "stream_options.include_usage": ("boolean",),
    "n": ("integer",),
    "max_tokens": ("integer",),
    "max_completion_tokens": ("integer",),
    "seed": ("integer",),
    "temperature": ("number",),
    "top_p": ("number",),
    "presence_penalty": ("number",),
    "frequency_penalty": ("number",),
    "stop": ("string", "array"),
    "stop[]": ("string",),
    "user": ("string",),
    "tools": ("array",),
    "tools[]": ("object",),
    "tool_choice": ("string", "object"),
    "parallel_tool_calls": ("boolean",),
    "response_format": ("object",),
    "logprobs": ("boolean",),
    "top_logprobs": ("integer",),
    "metadata": ("object",),
}
"""What ``/v1/chat/completions`` reads: the relay (output bound, streaming), the Anthropic and
local adapters (every option they translate) and the OpenAI-compatible one (``stream_options``)."""


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else type(value).__name__


@functools.cache
def _python_types(types: tuple[str, ...]) -> tuple[type, ...]:
    """The Python types of every kind in ``types`` but ``boolean`` (a ``bool`` is checked on its own)."""
    found: list[type] = []
    for kind in types:
        if kind != "boolean":
            python = _PYTHON[kind]
            found.extend(python if isinstance(python, tuple) else (python,))
    return tuple(found)


def _matches(value: Any, types: tuple[str, ...]) -> bool:
    if isinstance(value, bool):
        return "boolean" in types
    return isinstance(value, _python_types(types))


def _spoken(types: tuple[str, ...]) -> str:
    return " or ".join(_ARTICLES.get(kind, f"a {kind}") for kind in types)


@functools.cache
def _steps(path: str) -> tuple[tuple[str, bool], ...]:
    """``"messages[].role"`` -> ``(("messages", True), ("role", False))``, parsed once per path."""
    return tuple((step.removesuffix("[]"), step.endswith("[]")) for step in path.split("."))


def _found(body: Any, path: str) -> Iterator[tuple[str, Any]]:
    """``(where, value)`` for each value at ``path``: null members skipped, array items all kept."""
    found: list[tuple[str, Any]] = [("", body)]
    for name, each in _steps(path):
        deeper: list[tuple[str, Any]] = []
        for where, parent in found:
            value = parent.get(name) if isinstance(parent, dict) else None
            if value is None:
                continue
            place = f"{where}.{name}" if where else name
            if not each:
                deeper.append((place, value))
            elif isinstance(value, list):  # not a list: the array's own entry reports it
                deeper.extend((f"{place}[{i}]", item) for i, item in enumerate(value))
        found = deeper
    yield from found


def _wrong_type(where: str, value: Any, types: tuple[str, ...]) -> InvalidRequest:
    return InvalidRequest(f"'{where}' must be {_spoken(types)}, not {_spoken((_json_type(value),))}.", param=where)


def check_field_types(body: Any, fields: FieldTypes) -> None:
    """Raise a 400 for the first field of ``body`` whose JSON type is not its table's."""
    members: Mapping[str, Any] = body if isinstance(body, dict) else {}
    for path, types in fields.items():
        steps = _steps(path)
        name, each = steps[0]
        value = members.get(name)
        if value is None:
            continue  # absent or null: nothing at or below it to check
        if len(steps) == 1 and not each:  # a top-level member, the common case: checked directly
            if not _matches(value, types):
                raise _wrong_type(name, value, types)
            continue
        for where, found in _found(body, path):
            if not _matches(found, types):
                raise _wrong_type(where, found, types)
