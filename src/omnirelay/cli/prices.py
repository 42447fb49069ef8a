"""``omnirelay prices``: model prices (micro-units).

``set`` infers the mode from the amounts given (``--per-call`` alone: per call; token
amounts: per token); the rules and bounds are ``billing/price_rules.py``'s, as for the
settings file and the admin API. A per-token price's optional fields have a flag each
(``--cache-read-per-million``...); a context tier is ``--tier above=200000,input=6000000,output=22500000``
(more keys: any per-kind rate without ``_per_million``, e.g. ``cache_read=600000``), repeated per tier.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

from omnirelay.admin import prices as price_admin
from omnirelay.billing.price_extras import KIND_FIELDS
from omnirelay.cli.common import ConfigOption, JsonOption, fail, run, show

__all__ = ["prices"]

prices = typer.Typer(help="Model prices (micro-units).", no_args_is_help=True)
_COLUMNS = ("model", "mode", "per_call", "input_per_million", "output_per_million", "extras")
_SHORT = {"above": "above_prompt_tokens", "input": "input_per_million", "output": "output_per_million"}
_Rate = Annotated[int | None, typer.Option(help="Micro-units per million tokens of this kind.", show_default=False)]


def _extras_cell(row: dict[str, Any]) -> str:
    """A per-token price's optional fields in one short cell (``--json`` shows them whole)."""
    parts = [
        f"{name.removesuffix('_per_million')}={row[name]}" for name in KIND_FIELDS.values() if row.get(name) is not None
    ]
    if row.get("web_search_per_call") is not None:
        parts.append(f"web_search={row['web_search_per_call']}/call")
    parts += [
        f">{t['above_prompt_tokens']}:{t['input_per_million']}/{t['output_per_million']}"
        for t in row.get("tiers") or ()
    ]
    return " ".join(parts)


def _tier(text: str) -> dict[str, object]:
    """``above=200000,input=6000000,output=22500000,cache_read=600000`` as a tier's fields."""
    tier: dict[str, object] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = pair.partition("=")
        key = key.strip()
        name = _SHORT.get(key) or (
            key if key.endswith("_per_million") or key in _SHORT.values() else f"{key}_per_million"
        )
        try:
            tier[name] = int(value.strip().replace("_", ""))
        except ValueError:
            fail(f"--tier {text!r}: {key} needs a whole number, e.g. above=200000,input=6000000,output=22500000")
    return tier


def _show(answer: list[dict[str, Any]] | dict[str, Any], as_json: bool) -> None:
    """JSON as the admin API answers; else a table, and each price's warnings in yellow below it."""
    if as_json:
        show(answer, as_json)
        return
    rows = answer if isinstance(answer, list) else [answer]
    show([{**row, "extras": _extras_cell(row)} for row in rows], as_json, _COLUMNS)
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
        int | None,
        typer.Option(
            help="Micro-units per call (per image for image APIs; per unit for a per-unit task vendor).",
            show_default=False,
        ),
    ] = None,
    input_per_million: Annotated[
        int | None, typer.Option(help="Micro-units per million input tokens.", show_default=False)
    ] = None,
    output_per_million: Annotated[
        int | None, typer.Option(help="Micro-units per million output tokens.", show_default=False)
    ] = None,
    cache_read_per_million: _Rate = None,
    cache_write_5m_per_million: _Rate = None,
    cache_write_1h_per_million: _Rate = None,
    reasoning_per_million: _Rate = None,
    audio_input_per_million: _Rate = None,
    audio_output_per_million: _Rate = None,
    image_input_per_million: _Rate = None,
    tier: Annotated[
        list[str] | None,
        typer.Option(
            help="A context tier, repeated per tier: above=N,input=N,output=N[,cache_read=N,...].",
            show_default=False,
        ),
    ] = None,
    web_search_per_call: Annotated[
        int | None, typer.Option(help="Micro-units per web search call.", show_default=False)
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create or replace the price of MODEL, e.g. ``--per-call 50000`` or ``--input-per-million 150000``.

    MODEL may name a variant looked up before the model: kling-v1:pro:10, flux-pro-1.1:1440x1440, V_3:TURBO...

    Each API's page in docs/ lists the names it looks up."""
    fields = {
        "mode": mode,
        "per_call": per_call,
        "input_per_million": input_per_million,
        "output_per_million": output_per_million,
        "cache_read_per_million": cache_read_per_million,
        "cache_write_5m_per_million": cache_write_5m_per_million,
        "cache_write_1h_per_million": cache_write_1h_per_million,
        "reasoning_per_million": reasoning_per_million,
        "audio_input_per_million": audio_input_per_million,
        "audio_output_per_million": audio_output_per_million,
        "image_input_per_million": image_input_per_million,
        "tiers": [_tier(t) for t in tier] if tier else None,
        "web_search_per_call": web_search_per_call,
    }
    answer = run(config, lambda s: price_admin.set_price(s.engine, model, **fields))
    _show(answer, as_json)


@prices.command("delete")
def prices_delete(model: str, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Remove the price of MODEL: calls to it are then refused (403 model_not_priced)."""
    run(config, lambda s: price_admin.delete_price(s.engine, model))
    show({"model": model, "deleted": True}, as_json)
