"""``omnirelay keys``: API keys and their scopes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from omnirelay.admin import accounts as account_admin
from omnirelay.admin import keys as key_admin
from omnirelay.cli.common import (
    AccountArg,
    ConfigOption,
    JsonOption,
    echo_json,
    fail,
    resolve_account,
    run,
    show,
    show_record,
)
from omnirelay.cli.context import Store

__all__ = ["keys"]

_KEY_COLUMNS = ("id", "account", "name", "key_hint", "models", "rpm", "enabled")
# what --clear accepts (the CLI's option names and the API's field names) -> the field it lifts
_CLEARABLE = {
    "models": "models",
    "allow-ip": "ip_allowlist",
    "ip_allowlist": "ip_allowlist",
    "rpm": "rpm",
    "tpm": "tpm",
    "max-concurrency": "max_concurrency",
    "max_concurrency": "max_concurrency",
    "spend-cap": "spend_cap",
    "spend_cap": "spend_cap",
    "expires-at": "expires_at",
    "expires_at": "expires_at",
}

keys = typer.Typer(help="API keys and their scopes.", no_args_is_help=True)

Models = Annotated[list[str] | None, typer.Option("--model", help="Allowed model (repeatable); default every model.")]
AllowIps = Annotated[list[str] | None, typer.Option("--allow-ip", help="Allowed caller IP or CIDR (repeatable).")]
Rpm = Annotated[int | None, typer.Option(min=0, help="Requests per minute.")]
Tpm = Annotated[int | None, typer.Option(min=0, help="Tokens per minute.")]
Concurrency = Annotated[int | None, typer.Option(min=0, help="Calls in flight at once.")]
SpendCap = Annotated[int | None, typer.Option(min=0, help="Micro-units this key may spend in total.")]
ExpiresAt = Annotated[
    str | None, typer.Option(help="Epoch milliseconds or an ISO date/time (UTC unless it says otherwise).")
]


def parse_expiry(value: str) -> int:
    """Epoch milliseconds from ``1767225600000``, ``2026-01-01`` or ``2026-01-01T12:00:00+02:00``."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"--expires-at {value!r} is neither epoch milliseconds nor an ISO date like 2026-12-31T23:59:00Z.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@keys.command("list")
def keys_list(
    account: Annotated[str | None, typer.Option(help="Only this account's keys (name or id).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Keys (never the keys themselves: a hint and the scopes)."""

    async def listed(store: Store) -> list[dict[str, Any]]:
        account_id = (await resolve_account(store, account))["id"] if account is not None else None
        names = {a["id"]: a["name"] for a in await account_admin.list_accounts(store.engine)}
        return [
            {**k, "account": names.get(k["account_id"])} for k in await key_admin.list_keys(store.engine, account_id)
        ]

    rows = run(config, listed)
    show([{k: v for k, v in row.items() if k != "account"} for row in rows] if as_json else rows, as_json, _KEY_COLUMNS)


@keys.command("show")
def keys_show(key_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One key's scopes."""
    show_record(run(config, lambda s: key_admin.get_key(s.engine, key_id)), as_json)


@keys.command("create")
def keys_create(
    account: AccountArg,
    name: Annotated[str, typer.Option()] = "default",
    model: Models = None,
    allow_ip: AllowIps = None,
    rpm: Rpm = None,
    tpm: Tpm = None,
    max_concurrency: Concurrency = None,
    spend_cap: SpendCap = None,
    expires_at: ExpiresAt = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """A key for ACCOUNT; the key is printed once and only its hash is kept."""
    scopes = {"name": name, **_limits(model, allow_ip, rpm, tpm, max_concurrency, spend_cap, expires_at)}

    async def create(store: Store) -> tuple[str, dict[str, Any]]:
        account_id = (await resolve_account(store, account))["id"]
        return await key_admin.create_key(store.engine, account_id, **scopes)

    secret, record = run(config, create)
    if as_json:
        echo_json({**record, "key": secret})
    else:
        typer.echo(secret)


@keys.command("update")
def keys_update(
    key_id: int,
    name: Annotated[str | None, typer.Option()] = None,
    model: Models = None,
    allow_ip: AllowIps = None,
    rpm: Rpm = None,
    tpm: Tpm = None,
    max_concurrency: Concurrency = None,
    spend_cap: SpendCap = None,
    expires_at: ExpiresAt = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable", help="Let the key call, or stop it.")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            "--clear",
            metavar="SCOPE",
            help="Lift a scope (repeatable): models, allow-ip, rpm, tpm, max-concurrency, spend-cap, expires-at.",
        ),
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change KEY_ID's scopes; options not given keep their values. --model/--allow-ip replace the lists."""
    given = {
        "name": name,
        **_limits(model, allow_ip, rpm, tpm, max_concurrency, spend_cap, expires_at),
        "enabled": enabled,
    }
    scopes = {field: value for field, value in given.items() if value is not None}
    for field in _cleared(clear or []):
        if field in scopes:
            fail(f"--clear {field.replace('_', '-')} and a new value for it cannot go together: choose one.")
        scopes[field] = None
    if not scopes:
        fail("Nothing to change: give a scope option such as --rpm 60 or --clear rpm (see --help).")
    show_record(run(config, lambda s: key_admin.update_key(s.engine, key_id, **scopes)), as_json)


def _limits(
    model: list[str] | None,
    allow_ip: list[str] | None,
    rpm: int | None,
    tpm: int | None,
    max_concurrency: int | None,
    spend_cap: int | None,
    expires_at: str | None,
) -> dict[str, Any]:
    """The scope fields create and update share, from their options (None where an option was not given)."""
    return {
        "models": model or None,
        "ip_allowlist": allow_ip or None,
        "rpm": rpm,
        "tpm": tpm,
        "max_concurrency": max_concurrency,
        "spend_cap": spend_cap,
        "expires_at": parse_expiry(expires_at) if expires_at is not None else None,
    }


def _cleared(names: list[str]) -> list[str]:
    fields = []
    for name in names:
        field = _CLEARABLE.get(name.strip().lower())
        if field is None:
            choices = ", ".join(k for k in _CLEARABLE if "_" not in k)
            fail(f"--clear {name!r} is not a scope that can be lifted; choose from {choices}.")
        fields.append(field)
    return fields


@keys.command("enable")
def keys_enable(key_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Let KEY_ID call again."""
    show_record(run(config, lambda s: key_admin.update_key(s.engine, key_id, enabled=True)), as_json)


@keys.command("disable")
def keys_disable(key_id: int, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Stop KEY_ID (it is kept, so ledger entries still point at it)."""
    show_record(run(config, lambda s: key_admin.update_key(s.engine, key_id, enabled=False)), as_json)
