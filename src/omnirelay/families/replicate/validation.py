"""Checking a known model's input at the edge, from the table in :mod:`.models`: pure, no I/O.

Each problem becomes one ``invalid_fields`` entry, shaped like Replicate's 422 answers
(``{"type", "field": "input.<name>", "description"}``), so a client learns every wrong field
at once and before anything is held or sent upstream. Fields the table does not list pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omnirelay.families.replicate.models import Field, KnownModel

__all__ = ["invalid_input", "is_file"]

_FILE_SCHEMES = ("https://", "http://", "data:")


def is_file(value: object) -> bool:
    """A file input: an http(s) URL or a ``data:`` URI."""
    return isinstance(value, str) and value.startswith(_FILE_SCHEMES)


def _problem(kind: str, name: str, description: str) -> dict[str, str]:
    return {"type": kind, "field": f"input.{name}", "description": description}


def _type_name(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _typed(field: Field, value: object) -> bool:
    if field.kind == "text":
        return isinstance(value, str)
    if field.kind == "whole":
        return isinstance(value, int) and not isinstance(value, bool)
    if field.kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if field.kind == "flag":
        return isinstance(value, bool)
    if field.kind == "file":
        return is_file(value)
    return isinstance(value, str | int) and not isinstance(value, bool)


_EXPECTED = {
    "text": "string",
    "whole": "integer",
    "number": "number",
    "flag": "boolean",
    "file": "file (an https URL or a data: URI)",
    "choice": "one of the listed values",
}


def _bounds(field: Field, name: str, value: float) -> dict[str, str] | None:
    if field.low is not None and value < field.low:
        return _problem("number_gte", name, f"Must be greater than or equal to {field.low:g}")
    if field.high is not None and value > field.high:
        return _problem("number_lte", name, f"Must be less than or equal to {field.high:g}")
    if field.multiple_of is not None and int(value) % field.multiple_of:
        return _problem("multiple_of", name, f"Must be a multiple of {field.multiple_of}")
    return None


def _check(field: Field, name: str, value: Any) -> dict[str, str] | None:
    if field.kind == "choice" and value not in field.choices:
        allowed = ", ".join(repr(c) for c in field.choices)
        return _problem("enum", name, f"{name} must be one of the following: {allowed}")
    if not _typed(field, value):
        expected = _EXPECTED[field.kind]
        return _problem("invalid_type", name, f"Invalid type. Expected: {expected}, given: {_type_name(value)}")
    if field.kind in ("whole", "number"):
        return _bounds(field, name, value)
    return None


def invalid_input(model: KnownModel, given: Mapping[str, Any]) -> list[dict[str, str]]:
    """Every problem of ``given`` against ``model``'s fields (empty when it is acceptable)."""
    problems: list[dict[str, str]] = []
    for name, field in model.fields.items():
        value = given.get(name)
        if value is None or (field.required and isinstance(value, str) and not value.strip()):
            if field.required:
                problems.append(_problem("required", name, f"{name} is required"))
            continue
        problem = _check(field, name, value)
        if problem is not None:
            problems.append(problem)
    return problems
