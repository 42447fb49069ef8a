"""Change one setting in a TOML settings file in place: comments and layout stay, the result is
checked with :func:`~omnirelay.settings.load_settings` before it replaces the file.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import shutil
import tempfile
import tomllib
import types
import typing
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import tomlkit
from pydantic import BaseModel
from tomlkit.exceptions import TOMLKitError

from omnirelay.settings import Settings, load_settings
from omnirelay.settings_errors import SettingsError

__all__ = ["SettingsEditError", "edit_setting", "env_override", "parse_value", "setting_wants_text", "write_checked"]

_TEXT_TYPES = (str, Path)


class SettingsEditError(Exception):
    """The edit cannot be made; the message says why and what to do."""


def _field_type(path: str) -> Any:
    """The annotation of the setting at dotted ``path``; unknown paths name the near ones."""
    model: type[BaseModel] = Settings
    parts = path.split(".")
    for index, part in enumerate(parts):
        field = model.model_fields.get(part)
        if field is None:
            prefix = ".".join(parts[:index])
            known = [f"{prefix}.{n}" if prefix else n for n in model.model_fields]
            near = difflib.get_close_matches(path, known, n=3, cutoff=0.8)
            hint = f" Did you mean {' or '.join(near)}?" if near else " See 'omnirelay config show'."
            raise SettingsEditError(f"There is no setting {path!r}.{hint}")
        annotation = field.annotation
        rest = parts[index + 1 :]
        if not rest:
            return annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
            continue
        if typing.get_origin(annotation) is dict and len(rest) == 1:
            return typing.get_args(annotation)[1]  # group_multipliers.vip
        raise SettingsEditError(f"{'.'.join(parts[: index + 1])} has no setting {'.'.join(rest)!r}.")
    raise SettingsEditError("Name a setting, e.g. server.public_url.")


def setting_wants_text(path: str) -> bool:
    """Whether the setting at ``path`` is text (so ``3000`` or ``true`` there stay text)."""
    annotation = _field_type(path)
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    options = typing.get_args(annotation) if is_union else (annotation,)
    kinds = [o for o in options if o is not type(None)]
    return bool(kinds) and all(k in _TEXT_TYPES for k in kinds)


def parse_value(raw: str, as_text: bool) -> Any:
    """A TOML value (``3000``, ``true``, ``["127.0.0.1/32"]``, ``"quoted"``), else the text itself."""
    try:
        value = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw
    if as_text and not isinstance(value, str):
        return raw
    return value


def edit_setting(text: str, path: str, value: Any, *, remove: bool = False) -> str:
    """``text`` with the setting at dotted ``path`` set to ``value`` (or removed); the rest unchanged."""
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise SettingsEditError(f"The settings file is not valid TOML: {exc}") from exc
    chain: list[MutableMapping[str, Any]] = [document]
    *parents, leaf = path.split(".")
    for part in parents:
        if part not in chain[-1]:
            if remove:
                return text
            chain[-1][part] = tomlkit.table()
        child = chain[-1][part]
        if not isinstance(child, MutableMapping):
            raise SettingsEditError(f"{part} in the settings file is not a table; edit it by hand.")
        chain.append(child)
    if not remove:
        chain[-1][leaf] = value
        return tomlkit.dumps(document)
    chain[-1].pop(leaf, None)
    for parent, part in zip(reversed(chain[:-1]), reversed(parents), strict=True):
        if parent[part]:
            break
        del parent[part]  # a table left empty goes too
    return tomlkit.dumps(document)


def write_checked(file: Path, text: str) -> Settings:
    """Check ``text`` as the whole settings file, then put it in place of ``file`` atomically."""
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=file.parent, prefix=f".{file.stem}.", suffix=".toml")
    candidate = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        settings = _load_as(candidate, file)  # invalid: the file stays as it was
        if file.exists():
            shutil.copymode(file, candidate)
        candidate.replace(file)
    finally:
        candidate.unlink(missing_ok=True)
    return settings


def _load_as(candidate: Path, file: Path) -> Settings:
    """Load ``candidate``, telling problems in it as problems in ``file`` (the one the operator knows)."""
    try:
        return load_settings(candidate)
    except SettingsError as exc:
        problems = [dataclasses.replace(p, source=str(file)) if p.source == str(candidate) else p for p in exc.problems]
        raise SettingsError(file, problems) from exc


def env_override(path: str) -> str | None:
    """The environment variable that overrides the setting at ``path``, when one is set."""
    wanted = "OMNIRELAY_" + path.replace(".", "__").upper()
    return next((name for name in os.environ if name.upper() == wanted), None)
