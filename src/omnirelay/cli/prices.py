"""``omnirelay prices``: model prices (micro-units).

``set`` infers the mode from the amounts given (``--per-call`` alone: per call; token
amounts: per token); the rules and bounds are ``billing/price_rules.py``'s, as for the
settings file and the admin API.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from omnirelay.admin import prices as price_admin
from omnirelay.cli.common import ConfigOption, JsonOption, run, show

__all__ = ["prices"]

prices = typer.Typer(help="Model prices (micro-units).", no_args_is_help=True)
_COLUMNS = ("model", "mode", "per_call", "input_per_million", "output_per_million")


def _show(answer: list[dict[str, Any]] | dict[str, Any], as_json: bool) -> None:
    """JSON as the admin API answers; else a table, and each price's warnings in yellow below it."""
    if as_json:
        show(answer, as_json)
        return
    rows = answer if isinstance(answer, list) else [answer]
    show(rows, as_json, _COLUMNS)
    console = Console(stderr=True)
    for row in rows:
        for warning in row["warnings"]:
            console.print(f"[yellow]warning:[/] {row['model']}: {warning}", soft_wrap=True, highlight=False)


@prices.command("list")
def prices_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every price, with warnings for those that cannot bill where their model is served."""
    _show(run(config, lambda s: price_admin.list_prices(s.engine)), as_json)


@prices.command("set")
def prices_set(
    model: str,
    mode: Annotated[
        str | None, typer.Option(help="per_call, per_token or free; inferred from the amounts when left out.")
    ] = None,
    per_call: Annotated[
        int | None, typer.Option(help="Micro-units per call (or per image).", show_default=False)
    ] = None,
    input_per_million: Annotated[
        int | None, typer.Option(help="Micro-units per million input tokens.", show_default=False)
    ] = None,
    output_per_million: Annotated[
        int | None, typer.Option(help="Micro-units per million output tokens.", show_default=False)
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or replace the price of MODEL, e.g. ``--per-call 50000`` or ``--input-per-million 150000``."""
    answer = run(
        config,
        lambda s: price_admin.set_price(
            s.engine,
            model,
            mode=mode,
            per_call=per_call,
            input_per_million=input_per_million,
            output_per_million=output_per_million,
        ),
    )
    _show(answer, as_json)


@prices.command("delete")
def prices_delete(model: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Remove the price of MODEL: calls to it are then refused (403 model_not_priced)."""
    run(config, lambda s: price_admin.delete_price(s.engine, model))
    show({"model": model, "deleted": True}, as_json)
