"""``omnirelay users``: the console's users (who signs in for an account), password resets, invite codes."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnirelay.accounts import users as user_admin
from omnirelay.accounts.invites import create_invites
from omnirelay.api.admin.users import new_password
from omnirelay.cli.common import (
    AccountArg,
    ConfigOption,
    JsonOption,
    echo_json,
    resolve_account,
    run,
    show,
    show_record,
)
from omnirelay.cli.context import Store

__all__ = ["users"]

_USER_COLUMNS = ("id", "account_id", "username", "email", "totp_enabled", "enabled")

users = typer.Typer(
    help="Console users: who signs in to the console and the platform API for an account.", no_args_is_help=True
)

UserArg = Annotated[str, typer.Argument(metavar="USER", help="User name, email or id.")]
PasswordOption = Annotated[
    str | None, typer.Option(help="The password (at least 10 characters); unset: a random one is printed once.")
]


@users.command("list")
def users_list(
    account: Annotated[str | None, typer.Option("--account", help="Only this account's users.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every console user."""

    async def listed(store: Store) -> list[dict[str, Any]]:
        account_id = (await resolve_account(store, account))["id"] if account else None
        return [u.public() for u in await user_admin.list_users(store.engine, account_id)]

    show(run(config, listed), as_json, _USER_COLUMNS)


@users.command("create")
def users_create(
    account: AccountArg,
    username: str,
    email: Annotated[str | None, typer.Option(help="Also signs in by this address.")] = None,
    password: PasswordOption = None,
    operator: Annotated[bool, typer.Option("--operator", help="Also reaches the operator console.")] = False,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """A console user of ACCOUNT (an operator with --operator)."""
    secret = password or new_password()

    async def create(store: Store) -> dict[str, Any]:
        account_id = (await resolve_account(store, account))["id"]
        made = await user_admin.create_user(store.engine, account_id, username, secret, email=email, operator=operator)
        return made.public()

    record = run(config, create)
    show_record({**record, **({} if password else {"password": secret})}, as_json)


@users.command("reset-password")
def users_reset_password(user: UserArg, password: PasswordOption = None, config: ConfigOption = None) -> None:
    """Set USER's password; every session and access token of the user ends."""
    secret = password or new_password()

    async def reset(store: Store) -> None:
        found = await user_admin.find_user(store.engine, user)
        await user_admin.set_password(store.engine, found.id, secret)

    run(config, reset)
    typer.echo(
        "Password changed; the user's sessions were ended." if password else f"New password (shown once): {secret}"
    )


@users.command("invite")
def users_invite(
    count: Annotated[int, typer.Option(min=1, max=1000, help="How many codes.")] = 1,
    expires_at: Annotated[int | None, typer.Option(help="Epoch milliseconds; unset: never.")] = None,
    config: ConfigOption = None,
) -> None:
    """Sign-up invite codes (for ``console.signup = "invite"``), single use, printed once."""
    codes = run(config, lambda s: create_invites(s.engine, count, expires_at=expires_at))
    echo_json({"codes": codes})
