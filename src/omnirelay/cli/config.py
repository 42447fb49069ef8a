"""``omnirelay config``: the effective settings (secrets masked), and changes to the settings file.

``set``/``unset`` edit the TOML file in place (comments stay), after checking the whole result
the way a start would. A running gateway reads its settings once: restart it to apply a change.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import typer

from omnirelay.cli.common import ConfigOption, JsonOption, echo_json, fail
from omnirelay.cli.settings_edit import (
    SettingsEditError,
    edit_setting,
    env_override,
    parse_value,
    setting_wants_text,
    write_checked,
)
from omnirelay.cli.settings_load import SETTINGS_EXIT_CODE, load_or_exit
from omnirelay.settings import Settings, default_settings_file, settings_file
from omnirelay.settings_errors import SettingsError

__all__ = ["config"]

config = typer.Typer(help="Settings: show the effective ones, change the settings file.", no_args_is_help=True)

SettingPath = Annotated[str, typer.Argument(metavar="SETTING", help="Dotted name, e.g. server.public_url.")]
_RESTART = "Restart the gateway to apply it: a running process reads its settings once, at start."


@config.command("show")
def config_show(config_file: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every setting as the next start would see it (file, then environment), secrets masked."""
    file = settings_file(config_file)
    data = _masked(load_or_exit(config_file).model_dump(mode="json"))
    if as_json:
        echo_json({"file": str(file) if file else None, "settings": data})
        return
    typer.echo(f"# settings file: {file}" if file else "# no settings file: defaults and environment only")
    for name, value in _flat("", data):
        typer.echo(f"{name} = {_render(value)}")


@config.command("set")
def config_set(
    setting: SettingPath,
    value: Annotated[str, typer.Argument(help="A TOML value: 3000, true, '[\"127.0.0.1/32\"]', or plain text.")],
    config_file: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Set SETTING to VALUE in the settings file (created when there is none), comments kept."""
    try:
        parsed = parse_value(value, setting_wants_text(setting))
    except SettingsEditError as exc:
        fail(str(exc))
    _edit(config_file, setting, parsed, remove=False, as_json=as_json)


@config.command("unset")
def config_unset(setting: SettingPath, config_file: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Remove SETTING from the settings file, so its default applies again."""
    try:
        setting_wants_text(setting)  # refuses unknown names
    except SettingsEditError as exc:
        fail(str(exc))
    _edit(config_file, setting, None, remove=True, as_json=as_json)


def _edit(config_file: Path | None, setting: str, value: Any, *, remove: bool, as_json: bool) -> None:
    file = settings_file(config_file) or default_settings_file()
    if file.suffix in (".yaml", ".yml"):
        fail(
            f"{file} is YAML: 'config set' edits TOML files only (so that comments survive). "
            "Edit the YAML file by hand, or move the settings to a .toml file."
        )
    changed, settings = _write(file, setting, value, remove=remove)
    effective = _lookup(_masked(settings.model_dump(mode="json")), setting)
    override = env_override(setting)
    if as_json:
        echo_json(
            {"file": str(file), "setting": setting, "value": effective, "changed": changed, "overridden_by": override}
        )
        return
    if not changed:
        typer.echo(f"{setting} is not in {file}: nothing changed; it is {_render(effective)}.")
        return
    action = "removed from" if remove else "written to"
    typer.echo(f"{setting} {action} {file}; it is now {_render(effective)}.")
    if override:
        typer.echo(f"warning: the environment variable {override} overrides the file for this setting.")
    typer.echo(_RESTART)


def _write(file: Path, setting: str, value: Any, *, remove: bool) -> tuple[bool, Settings]:
    """Whether the file changed, and the settings it now gives; invalid: exit 2, the file untouched."""
    try:
        text = file.read_text(encoding="utf-8") if file.exists() else ""
        edited = edit_setting(text, setting, value, remove=remove)
        if edited == text and file.exists():
            return False, load_or_exit(file)
        return True, write_checked(file, edited)
    except SettingsEditError as exc:
        fail(str(exc))
    except SettingsError as exc:
        for line in exc.lines():
            typer.echo(line, err=True)
        typer.echo(f"{file} was not changed.", err=True)
        raise typer.Exit(SETTINGS_EXIT_CODE) from exc


def _flat(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    """``server.port``-style names for every leaf; lists of tables as ``channels[0].name``."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _flat(f"{prefix}.{key}" if prefix else str(key), item)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for index, item in enumerate(value):
            yield from _flat(f"{prefix}[{index}]", item)
    else:
        yield prefix, value


def _render(value: Any) -> str:
    return "(unset)" if value is None else orjson.dumps(value).decode()


def _lookup(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _masked(data: dict[str, Any]) -> dict[str, Any]:
    """The settings with keys and passwords hidden (the last four characters tell which one)."""
    out = dict(data)
    for name in ("secret_key", "admin_key"):
        if out.get(name):
            out[name] = _hide(out[name])
    for name in ("database_url", "redis_url"):
        if out.get(name):
            out[name] = _hide_password(out[name])
    out["keys"] = [{**key, "key": _hide(key["key"])} for key in out.get("keys", [])]
    out["channels"] = [{**ch, "secrets": [_hide(s) for s in ch["secrets"]]} for ch in out.get("channels", [])]
    return out


def _hide(secret: str) -> str:
    return "****" + secret[-4:] if len(secret) >= 16 else "****"


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    user, _, _ = parts.netloc.rpartition("@")[0].partition(":")
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:****@{host}"))
