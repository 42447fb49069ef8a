"""Settings for a CLI command, or one line per invalid setting on stderr and exit code 2."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, NoReturn

import typer

from omnirelay.settings import Settings, load_settings
from omnirelay.settings_env import stray_variables
from omnirelay.settings_errors import SettingsError

__all__ = ["SETTINGS_EXIT_CODE", "load_or_exit", "report_and_exit"]

SETTINGS_EXIT_CODE = 2
"""What a command exits with when the settings are invalid (usage errors in Unix terms)."""


def report_and_exit(exc: SettingsError) -> NoReturn:
    for line in exc.lines():
        typer.echo(line, err=True)
    raise typer.Exit(SETTINGS_EXIT_CODE)


def load_or_exit(config: Path | None, **overrides: Any) -> Settings:
    """:func:`load_settings`, without a traceback when the settings are invalid."""
    try:
        settings = load_settings(config, **overrides)
    except SettingsError as exc:
        report_and_exit(exc)
    for line in stray_variables(os.environ, Settings):
        typer.echo(f"warning: {line}", err=True)
    return settings
