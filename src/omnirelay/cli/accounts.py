"""``omnirelay accounts``: accounts, their balances (micro-units), ledgers and webhooks."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnirelay.admin import accounts as account_admin
from omnirelay.admin.ledger import MAX_PAGE, list_entries
from omnirelay.cli.common import AccountArg, ConfigOption, JsonOption, resolve_account, run, show, show_record
from omnirelay.cli.context import Store
from omnirelay.cli.webhooks import webhook

__all__ = ["accounts"]

_ACCOUNT_COLUMNS = ("id", "name", "group", "balance", "created_at")
_LEDGER_COLUMNS = ("id", "created_at", "kind", "amount", "key_id", "request_id")

accounts = typer.Typer(
    help="Accounts: balances (micro-units), ledgers, webhooks. ACCOUNT is a name or an id.", no_args_is_help=True
)
accounts.add_typer(webhook, name="webhook")


@accounts.command("list")
def accounts_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every account with its committed balance."""
    show(run(config, lambda s: account_admin.list_accounts(s.engine)), as_json, _ACCOUNT_COLUMNS)


@accounts.command("create")
def accounts_create(
    name: str,
    balance: Annotated[int, typer.Option(help="Opening balance in micro-units.")] = 0,
    group: Annotated[str, typer.Option(help="Price group.")] = "default",
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """A new account; an opening balance is posted as a top-up."""
    account = run(config, lambda s: account_admin.create_account(s.engine, name, group=group, balance=balance))
    show_record(account, as_json)


@accounts.command("show")
def accounts_show(account: AccountArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One account."""
    show_record(run(config, lambda s: resolve_account(s, account)), as_json)


@accounts.command("topup", context_settings={"ignore_unknown_options": True})  # AMOUNT may be -300
def accounts_topup(
    account: AccountArg,
    amount: Annotated[int, typer.Argument(metavar="AMOUNT", help="Micro-units; negative debits.")],
    reference: Annotated[str | None, typer.Option(help="Kept as the entry's request_id.")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Retrying with the same key credits once (a payment id will do).")
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Credit (negative: debit) ACCOUNT by AMOUNT micro-units through a ledger entry."""

    async def top_up(store: Store) -> dict[str, Any]:
        account_id = (await resolve_account(store, account))["id"]
        done = await store.top_up(account_id, amount, reference=reference, idempotency_key=idempotency_key)
        for warning in done.warnings:
            typer.echo(f"warning: {warning}", err=True)
        return done.account

    show_record(run(config, top_up), as_json)


@accounts.command("ledger")
def accounts_ledger(
    account: AccountArg,
    limit: Annotated[int, typer.Option(min=1, max=MAX_PAGE, help="Entries to show.")] = 20,
    before_id: Annotated[int | None, typer.Option(help="Only entries older than this id (the next page).")] = None,
    kind: Annotated[str | None, typer.Option(help="topup, adjust, reserve, settle, refund or release.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """ACCOUNT's ledger entries, newest first (amounts in micro-units)."""

    async def entries(store: Store) -> dict[str, Any]:
        account_id = (await resolve_account(store, account))["id"]
        return await list_entries(store.engine, account_id, limit=limit, before_id=before_id, kind=kind)

    page = run(config, entries)
    show(page["data"], as_json, _LEDGER_COLUMNS)
    if page["has_more"] and not as_json:
        typer.echo(f"more: --before-id {page['next_before_id']}")
