"""Invalid settings, told the way a person fixes them: where (file or environment variable),
which setting (``channels[1].base_url``) and what is wrong or allowed, one line each.

:func:`~omnirelay.settings.load_settings` raises :class:`SettingsError`; the CLI prints its
lines and exits with code 2.
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

__all__ = [
    "SettingProblem",
    "SettingsError",
    "dotted",
    "from_env_parse_error",
    "from_parse_error",
    "from_validation_error",
]

Loc = tuple[int | str, ...]
_SECRET = frozenset({"key", "secrets", "admin_key", "secret_key", "database_url", "redis_url", "token"})
"""Settings whose wrong values are not echoed back (keys, passwords in URLs)."""


@dataclass(frozen=True, slots=True)
class SettingProblem:
    source: str
    """The settings file, ``environment variable OMNIRELAY_...``, or ``settings`` (defaults, flags)."""
    path: str
    """The setting, e.g. ``channels[1].base_url``; empty for a problem with the whole file."""
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.path, self.message) if part)


class SettingsError(ValueError):
    """The settings cannot be used; ``problems`` holds one entry per invalid setting."""

    def __init__(self, file: Path | None, problems: Iterable[SettingProblem]) -> None:
        self.file = file
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        """What the CLI prints: ``error: <source>: <setting>: <problem>``, one per problem."""
        return [f"error: {problem}" for problem in self.problems]


def from_parse_error(path: Path, exc: Exception) -> SettingsError:
    """A file that cannot be read, or is not valid TOML/YAML: where it breaks, in one line."""
    if isinstance(exc, FileNotFoundError):
        message = "no such file (check --config, OMNIRELAY_CONFIG or OMNIRELAY_HOME)"
    elif isinstance(exc, tomllib.TOMLDecodeError):
        message = f"not valid TOML: {exc}"
    elif isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        message = f"not valid YAML: {exc.problem} (at line {mark.line + 1}, column {mark.column + 1})"
    elif isinstance(exc, OSError):
        message = f"cannot be read: {exc.strerror or exc}"
    else:
        message = str(exc)
    return SettingsError(path, [SettingProblem(str(path), "", message)])


def from_validation_error(
    exc: ValidationError, model: type[BaseModel], file: Path | None, environ: Mapping[str, str], env_prefix: str
) -> SettingsError:
    """One problem per invalid setting, attributed to the environment variable that set it, if
    any (the environment wins over the file), else to the file."""
    env = {name.upper(): name for name in environ if name.upper().startswith(env_prefix)}
    problems: dict[tuple[str, str], SettingProblem] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        variable = _variable(loc, env, env_prefix)
        source = f"environment variable {variable}" if variable else str(file) if file else "settings"
        path = dotted(loc)
        problems.setdefault((source, path), SettingProblem(source, path, _message(error, model, loc)))
    return SettingsError(file, problems.values())


def from_env_parse_error(exc: Exception, environ: Mapping[str, str], env_prefix: str) -> SettingsError:
    """A complex value (list, table) in an environment variable that is not valid JSON."""
    found = re.search(r'field "([^"]+)"', str(exc))
    field = found.group(1) if found else ""
    variable = env_prefix + field.upper()
    names = [n for n in environ if n.upper() == variable or n.upper().startswith(variable + "__")]
    source = f"environment variable {names[0]}" if names else "environment"
    return SettingsError(None, [SettingProblem(source, field, "not valid JSON (lists and tables are given as JSON)")])


def dotted(loc: Loc) -> str:
    """``("channels", 1, "base_url")`` -> ``channels[1].base_url``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _variable(loc: Loc, env: Mapping[str, str], prefix: str) -> str | None:
    """The environment variable that holds ``loc`` or one of its parents (``OMNIRELAY_KEYS`` holds ``keys[0].rpm``)."""
    names: list[str] = []
    for part in loc:
        if not isinstance(part, str):
            break
        names.append(part.upper())
        candidate = prefix + "__".join(names)
        if candidate in env:
            return env[candidate]
    return None


def _message(error: ErrorDetails, model: type[BaseModel], loc: Loc) -> str:
    if error["type"] == "extra_forbidden":
        known = _known_fields(model, loc[:-1])
        near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if near:
            return f"unknown setting (did you mean {near[0]}?)"
        return f"unknown setting (allowed here: {', '.join(known)})" if known else "unknown setting"
    message = re.sub(r"^Value error, ", "", error["msg"])
    if error["type"] != "missing" and _shown(error.get("input")) and not _SECRET.intersection(map(str, loc)):
        message += f" (got {error['input']!r})"
    return message


def _shown(value: Any) -> bool:
    """Scalars are worth echoing back; whole tables are not."""
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 80


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return []
        current = _inner_model(current.model_fields[part].annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """``list[X]``, ``X | None`` and ``dict[str, X]`` -> ``X`` when X is a model; else the annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, dict, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner = _inner_model(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation
