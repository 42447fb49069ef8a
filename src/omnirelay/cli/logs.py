"""``omnirelay logs``: request logs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnirelay.admin.logs import query_logs
from omnirelay.cli.common import ConfigOption, JsonOption, resolve_account, run, show
from omnirelay.cli.context import Store

__all__ = ["logs"]

logs = typer.Typer(help="Request logs.", no_args_is_help=True)


def _row(log: dict[str, Any]) -> dict[str, Any]:
    """The columns that fit a terminal, under short names."""
    return {
        "id": log["id"],
        "created_at": log["created_at"],
        "key": log["key_id"],
        "model": log["model"],
        "status": log["status"],
        "in": log["prompt_tokens"],
        "out": log["completion_tokens"],
        "cost": log["cost"],
        "ms": log["latency_ms"],
    }


@logs.command("list")
def logs_list(
    account: Annotated[str | None, typer.Option(help="Only this account's requests (name or id).")] = None,
    key_id: Annotated[int | None, typer.Option()] = None,
    model: Annotated[str | None, typer.Option()] = None,
    status: Annotated[int | None, typer.Option(help="HTTP status, e.g. 429.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    before_id: Annotated[int | None, typer.Option(help="Only requests older than this id (the next page).")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Requests, newest first (cost in micro-units, latency in milliseconds)."""

    async def query(store: Store) -> dict[str, Any]:
        account_id = (await resolve_account(store, account))["id"] if account is not None else None
        return await query_logs(
            store.engine,
            account_id=account_id,
            key_id=key_id,
            model=model,
            status=status,
            limit=limit,
            before_id=before_id,
        )

    page = run(config, query)
    show(page["data"] if as_json else [_row(log) for log in page["data"]], as_json)
    if page["has_more"] and not as_json:
        typer.echo(f"more: --before-id {page['next_before_id']}")
