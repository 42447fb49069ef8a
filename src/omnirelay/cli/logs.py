"""``omnirelay logs``: request logs.

The table shows, beside plain input and output tokens, the other token kinds a call used
(``kinds``: cache reads and writes, reasoning, audio, image, web searches); ``--detail`` adds
each call's bill line by line (rate and exact cost per kind, ``request_logs.usage``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnirelay.admin.logs import query_logs
from omnirelay.cli.common import ConfigOption, JsonOption, resolve_account, run, show, show_record
from omnirelay.cli.context import Store

__all__ = ["logs"]

logs = typer.Typer(help="Request logs.", no_args_is_help=True)
_PLAIN = ("uncached_input", "text_output")
_SHORT = {
    "cache_read": "cached",
    "cache_write_5m": "write5m",
    "cache_write_1h": "write1h",
    "web_search_calls": "search",
}


def _kinds(log: dict[str, Any]) -> str:
    """The kinds beyond plain input and output, e.g. ``cached=8000 reasoning=200``."""
    lines = (log.get("usage") or {}).get("lines") or ()
    return " ".join(
        f"{_SHORT.get(line['kind'], line['kind'])}={line.get('tokens', line.get('calls'))}"
        for line in lines
        if line["kind"] not in _PLAIN and line["kind"] != "calls"
    )


def _bill(log: dict[str, Any]) -> None:
    """One call's bill: its tier and multiplier, then one row per kind."""
    detail = log.get("usage")
    if not detail:
        return
    tier = "base" if detail["tier"] is None else f"above {detail['tier']} prompt tokens"
    typer.echo(f"\nrequest {log['request_id']} (log {log['id']}): tier {tier}, multiplier {detail['multiplier']}")
    rows = [
        {
            "kind": line["kind"],
            "count": line.get("tokens", line.get("calls")),
            "rate": f"{line['per_million']}/M" if "per_million" in line else f"{line['per_call']}/call",
            "cost": line["cost"],
        }
        for line in detail["lines"]
    ]
    show(rows, False, ("kind", "count", "rate", "cost"))
    show_record({"total": detail["total"], "charged": log["cost"], "unbilled": log["unbilled"]}, False)


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
        "kinds": _kinds(log),
    }


@logs.command("list")
def logs_list(
    account: Annotated[str | None, typer.Option(help="Only this account's requests (name or id).")] = None,
    key_id: Annotated[int | None, typer.Option()] = None,
    model: Annotated[str | None, typer.Option()] = None,
    status: Annotated[int | None, typer.Option(help="HTTP status, e.g. 429.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
    before_id: Annotated[int | None, typer.Option(help="Only requests older than this id (the next page).")] = None,
    detail: Annotated[bool, typer.Option("--detail", help="Each call's bill, line by line.")] = False,
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
    if detail and not as_json:
        for log in page["data"]:
            _bill(log)
    if page["has_more"] and not as_json:
        typer.echo(f"more: --before-id {page['next_before_id']}")
