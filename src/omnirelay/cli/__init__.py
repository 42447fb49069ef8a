"""The ``omnirelay`` command (typer + rich)."""

from omnirelay.cli.main import app, main

__all__ = ["app", "main"]
