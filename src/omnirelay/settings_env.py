"""Environment variables that look like settings but are none: flagged, not silently ignored.

pydantic-settings reads only the ``OMNIRELAY_*`` variables that name a setting; a typo such as
``OMNIRELAY_SEVER__PORT`` would otherwise be dropped without a word. :func:`stray_variables`
names each one with the closest real setting. ``OMNIRELAY_CONFIG`` (the settings file) and
``OMNIRELAY_TEST_*`` (the test suite's own variables) are not settings and are not flagged.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from pydantic import BaseModel

__all__ = ["setting_variables", "stray_variables"]

_PREFIX = "OMNIRELAY_"
_NOT_SETTINGS = ("OMNIRELAY_CONFIG",)
_RESERVED_PREFIXES = ("OMNIRELAY_TEST_",)


def _variables(model: type[BaseModel], prefix: str) -> Iterator[str]:
    for name, field in model.model_fields.items():
        variable = f"{prefix}{name.upper()}"
        yield variable
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a nested table
            yield from _variables(annotation, f"{variable}__")


def setting_variables(model: type[BaseModel]) -> frozenset[str]:
    """Every variable that names a setting of ``model`` (nested tables included)."""
    return frozenset(_variables(model, _PREFIX))


def stray_variables(environ: Mapping[str, str], model: type[BaseModel]) -> list[str]:
    """One line per ``OMNIRELAY_*`` variable that is not a setting, with the closest one."""
    known = setting_variables(model)
    lines = []
    for variable in sorted(environ):
        upper = variable.upper()
        if not upper.startswith(_PREFIX) or upper in known or upper in _NOT_SETTINGS:
            continue
        if upper.startswith(_RESERVED_PREFIXES):
            continue
        near = difflib.get_close_matches(upper, known, n=1, cutoff=0.75)
        hint = f" (did you mean {near[0]}?)" if near else ""
        lines.append(f"environment variable {variable} is not a setting and is ignored{hint}")
    return lines
