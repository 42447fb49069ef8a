"""``omnirelay accounts webhook``: an account's webhook URL and its ``whsec_`` signing secret.

The same services as ``/api/admin/accounts/{id}/webhook``. A running gateway sees a change
within a few seconds (its cache of hooks lives ``5 s``).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnirelay.admin import webhooks as hook_admin
from omnirelay.cli.common import AccountArg, ConfigOption, JsonOption, resolve_account, run, show_record
from omnirelay.cli.context import Store
from omnirelay.webhooks.hooks import AccountHooks

__all__ = ["webhook"]

webhook = typer.Typer(help="An account's webhook URL and signing secret.", no_args_is_help=True)


async def _account_id(store: Store, account: str) -> int:
    return int((await resolve_account(store, account))["id"])


def _hooks(store: Store) -> AccountHooks:
    return AccountHooks(store.engine, store.box, ttl_s=0)


@webhook.command("show")
def webhook_show(account: AccountArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """The URL task events go to and the secret that signs them (created on first need)."""

    async def read(store: Store) -> dict[str, Any]:
        account_id = await _account_id(store, account)
        return hook_admin.hook_record(await hook_admin.get_hook(store.engine, _hooks(store), account_id))

    show_record(run(config, read), as_json)


@webhook.command("set-url")
def webhook_set_url(
    account: AccountArg,
    url: Annotated[str, typer.Argument(help="http(s) URL; private addresses need webhooks.allow_networks.")],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send ACCOUNT's task events to URL (a task's own notifyHook still wins)."""

    async def change(store: Store) -> dict[str, Any]:
        account_id = await _account_id(store, account)
        allowed = store.settings.webhooks.allow_networks
        return hook_admin.hook_record(await hook_admin.set_url(store.engine, _hooks(store), account_id, url, allowed))

    show_record(run(config, change), as_json)


@webhook.command("unset-url")
def webhook_unset_url(account: AccountArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Send ACCOUNT's task events nowhere (customers poll, or set notifyHook per task)."""

    async def change(store: Store) -> dict[str, Any]:
        account_id = await _account_id(store, account)
        return hook_admin.hook_record(await hook_admin.set_url(store.engine, _hooks(store), account_id, None, ()))

    show_record(run(config, change), as_json)


@webhook.command("rotate-secret")
def webhook_rotate_secret(account: AccountArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """A new signing secret for ACCOUNT; running gateways sign with it within 5 seconds."""

    async def rotate(store: Store) -> dict[str, Any]:
        account_id = await _account_id(store, account)
        return hook_admin.hook_record(await hook_admin.rotate_secret(store.engine, _hooks(store), account_id))

    show_record(run(config, rotate), as_json)
