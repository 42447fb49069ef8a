"""Operator sub-commands; each opens the store and calls the same services as the admin API.

A running gateway notices every change within ``cache_refresh_s`` (it polls the revision row).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
import typer
from rich.console import Console
from rich.table import Table

from omnirelay.admin import accounts as account_admin
from omnirelay.admin import channels as channel_admin
from omnirelay.admin import keys as key_admin
from omnirelay.admin import prices as price_admin
from omnirelay.admin.logs import query_logs
from omnirelay.cli.context import Store, open_store
from omnirelay.errors import OmniRelayError

__all__ = ["accounts", "channels", "keys", "logs", "prices"]

T = TypeVar("T")
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML or YAML settings file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_LOG_COLUMNS = ("id", "key_id", "model", "status", "prompt_tokens", "completion_tokens", "cost", "latency_ms")

accounts = typer.Typer(help="Accounts and their balances (micro-units).", no_args_is_help=True)
keys = typer.Typer(help="API keys and their scopes.", no_args_is_help=True)
channels = typer.Typer(help="Upstream channels.", no_args_is_help=True)
prices = typer.Typer(help="Model prices (micro-units).", no_args_is_help=True)
logs = typer.Typer(help="Request logs.", no_args_is_help=True)


def _run(config: Path | None, action: Callable[[Store], Awaitable[T]]) -> T:
    async def runner() -> T:
        async with open_store(config) as store:
            return await action(store)

    try:
        return asyncio.run(runner())
    except OmniRelayError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc.message}")
        raise typer.Exit(1) from exc


def _show(rows: list[dict[str, Any]] | dict[str, Any], as_json: bool) -> None:
    items = rows if isinstance(rows, list) else [rows]
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(*(items[0].keys() if items else ["(none)"]))
    for item in items:
        table.add_row(*(str(v) for v in item.values()))
    Console().print(table)


@accounts.command("list")
def accounts_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    _show(_run(config, lambda s: account_admin.list_accounts(s.engine)), as_json)


@accounts.command("create")
def accounts_create(
    name: str,
    balance: Annotated[int, typer.Option(help="Opening balance in micro-units.")] = 0,
    group: Annotated[str, typer.Option()] = "default",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    _show(
        _run(config, lambda s: account_admin.create_account(s.engine, name, group=group, balance=balance)),
        as_json,
    )


@accounts.command("topup")
def accounts_topup(account_id: int, amount: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Credit (negative: debit) an account by AMOUNT micro-units."""

    async def top_up(store: Store) -> dict[str, Any]:
        account = await account_admin.top_up(store.engine, account_id, amount)
        await store.reflect_credit(account_id, amount)
        return account

    _show(_run(config, top_up), as_json)


@keys.command("list")
def keys_list(
    account_id: Annotated[int | None, typer.Option()] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    _show(_run(config, lambda s: key_admin.list_keys(s.engine, account_id)), as_json)


@keys.command("create")
def keys_create(
    account_id: int,
    name: Annotated[str, typer.Option()] = "default",
    model: Annotated[list[str] | None, typer.Option(help="Allowed model (repeatable); default all.")] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(help="Allowed IP or CIDR (repeatable).")] = None,
    rpm: Annotated[int | None, typer.Option()] = None,
    tpm: Annotated[int | None, typer.Option()] = None,
    max_concurrency: Annotated[int | None, typer.Option()] = None,
    spend_cap: Annotated[int | None, typer.Option()] = None,
    expires_at: Annotated[int | None, typer.Option(help="Epoch milliseconds.")] = None,
    config: ConfigOption = None,
) -> None:
    """Create a key; it is printed once and only its hash is kept."""
    secret, _ = _run(
        config,
        lambda s: key_admin.create_key(
            s.engine,
            account_id,
            name=name,
            models=model or None,
            ip_allowlist=allow_ip or None,
            rpm=rpm,
            tpm=tpm,
            max_concurrency=max_concurrency,
            spend_cap=spend_cap,
            expires_at=expires_at,
        ),
    )
    typer.echo(secret)


@keys.command("disable")
def keys_disable(key_id: int, config: ConfigOption = None) -> None:
    _run(config, lambda s: key_admin.delete_key(s.engine, key_id))


@keys.command("enable")
def keys_enable(key_id: int, config: ConfigOption = None) -> None:
    _run(config, lambda s: key_admin.update_key(s.engine, key_id, enabled=True))


@channels.command("list")
def channels_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    _show(_run(config, lambda s: channel_admin.list_channels(s.engine, s.box)), as_json)


@channels.command("create")
def channels_create(
    name: str,
    base_url: str,
    model: Annotated[list[str], typer.Option(help="Served model (repeatable).")],
    secret: Annotated[list[str] | None, typer.Option(help="Upstream API key (repeatable).")] = None,
    type: Annotated[str, typer.Option()] = "openai",
    priority: Annotated[int, typer.Option()] = 0,
    weight: Annotated[int, typer.Option()] = 1,
    map: Annotated[list[str] | None, typer.Option(help="public=upstream model name (repeatable).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    mapping = dict(item.split("=", 1) for item in map or [])
    _show(
        _run(
            config,
            lambda s: channel_admin.create_channel(
                s.engine,
                s.box,
                name=name,
                base_url=base_url,
                models=model,
                secrets=secret or [],
                type=type,
                priority=priority,
                weight=weight,
                model_map=mapping,
            ),
        ),
        as_json,
    )


@channels.command("enable")
def channels_enable(channel_id: int, config: ConfigOption = None) -> None:
    _run(config, lambda s: channel_admin.update_channel(s.engine, s.box, channel_id, enabled=True))


@channels.command("disable")
def channels_disable(channel_id: int, config: ConfigOption = None) -> None:
    _run(config, lambda s: channel_admin.update_channel(s.engine, s.box, channel_id, enabled=False))


@channels.command("delete")
def channels_delete(channel_id: int, config: ConfigOption = None) -> None:
    _run(config, lambda s: channel_admin.delete_channel(s.engine, channel_id))


@prices.command("list")
def prices_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    _show(_run(config, lambda s: price_admin.list_prices(s.engine)), as_json)


@prices.command("set")
def prices_set(
    model: str,
    mode: Annotated[str, typer.Option(help="per_call, per_token or free.")] = "per_token",
    per_call: Annotated[int, typer.Option()] = 0,
    input_per_million: Annotated[int, typer.Option()] = 0,
    output_per_million: Annotated[int, typer.Option()] = 0,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    _show(
        _run(
            config,
            lambda s: price_admin.set_price(
                s.engine,
                model,
                mode=mode,
                per_call=per_call,
                input_per_million=input_per_million,
                output_per_million=output_per_million,
            ),
        ),
        as_json,
    )


@logs.command("list")
def logs_list(
    key_id: Annotated[int | None, typer.Option()] = None,
    model: Annotated[str | None, typer.Option()] = None,
    status: Annotated[int | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 20,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    page = _run(config, lambda s: query_logs(s.engine, key_id=key_id, model=model, status=status, limit=limit))
    rows = page["data"] if as_json else [{k: row[k] for k in _LOG_COLUMNS} for row in page["data"]]
    _show(rows, as_json)
