"""What every operator sub-command shares: open the store, run one action, print the answer.

A running gateway notices every change within ``cache_refresh_s`` (it polls the revision row).
Accounts are named on the command line as in the settings file (``acme``) or by id (``3``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from omnirelay.admin.account_refs import find_account
from omnirelay.cli.context import Store, open_store
from omnirelay.cli.tables import echo_json, show, show_record
from omnirelay.errors import OmniRelayError

__all__ = [
    "AccountArg",
    "ConfigOption",
    "JsonOption",
    "echo_json",
    "fail",
    "resolve_account",
    "run",
    "show",
    "show_record",
]

T = TypeVar("T")
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML or YAML settings file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AccountArg = Annotated[str, typer.Argument(metavar="ACCOUNT", help="Account name (as in the settings file) or id.")]


def fail(message: str) -> NoReturn:
    """One red line on stderr, exit code 1."""
    Console(stderr=True, highlight=False).print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(1)


def run(config: Path | None, action: Callable[[Store], Awaitable[T]]) -> T:
    """Open the store, run ``action`` on it, and turn a refusal into one red line and exit code 1."""

    async def runner() -> T:
        async with open_store(config) as store:
            return await action(store)

    try:
        return asyncio.run(runner())
    except OmniRelayError as exc:
        fail(exc.message)


async def resolve_account(store: Store, ref: str) -> dict[str, Any]:
    """The account named ``ref``, else with id ``ref``; unknown: NotFound naming near matches."""
    return await find_account(store.engine, ref)
