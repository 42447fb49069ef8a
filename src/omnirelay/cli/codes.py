"""``omnirelay codes``: batches of single-use redemption codes customers top up with."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omnirelay.admin import codes as service
from omnirelay.cli.common import ConfigOption, JsonOption, echo_json, fail, run, show, show_record
from omnirelay.console.fields import day_ms
from omnirelay.errors import InvalidRequest

__all__ = ["codes"]

_COLUMNS = ("id", "batch", "code_hint", "amount", "state", "expires_at", "redeemed_by", "redeemed_at")

codes = typer.Typer(
    help="Redemption codes: top-ups customers redeem in the console or the platform API.", no_args_is_help=True
)


@codes.command("create")
def codes_create(
    amount: Annotated[int, typer.Option(min=1, help="What each code credits, in micro-units.")],
    count: Annotated[int, typer.Option(min=1, max=service.MAX_BATCH, help="How many codes.")] = 1,
    expires: Annotated[str | None, typer.Option(help="Last day it can be redeemed (YYYY-MM-DD, UTC).")] = None,
    config: ConfigOption = None,
) -> None:
    """A batch of codes, printed once (only their hashes are kept)."""
    try:
        expires_at = day_ms(expires, "expires", end_of_day=True) if expires else None
    except InvalidRequest as exc:
        fail(exc.message)

    async def create(store: Any) -> dict[str, Any]:
        batch, made = await service.create_codes(store.engine, amount, count, expires_at=expires_at)
        return {"batch": batch, "amount": amount, "expires_at": expires_at, "codes": made}

    echo_json(run(config, create))


@codes.command("list")
def codes_list(
    batch: Annotated[str | None, typer.Option(help="Only this batch.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Codes, newest first: hint, amount, state (active, redeemed, disabled, expired)."""
    show(run(config, lambda s: service.list_codes(s.engine, batch=batch, limit=limit)), as_json, _COLUMNS)


@codes.command("disable")
def codes_disable(
    code_id: Annotated[int, typer.Argument(metavar="ID", min=1)],
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Code ID can no longer be redeemed."""
    show_record(run(config, lambda s: service.disable_code(s.engine, code_id)), as_json)
