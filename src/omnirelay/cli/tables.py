"""How the CLI prints answers: JSON with ``--json``, else a compact table that fits the terminal.

Tables show the columns a command chooses (``--json`` shows every field); cells never wrap,
long values end in an ellipsis, so a table fits an 80-column terminal. Times (``*_at``, epoch
milliseconds) are shown as UTC minutes, ``None`` as ``-``, lists joined with commas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import typer
from rich import box
from rich.console import Console
from rich.table import Table

__all__ = ["cell", "echo_json", "show", "show_record"]

_EMPTY = "-"
_GAP = 3  # between two columns: padding, the (blank) divider, padding
_FLOOR = 6  # no column is cut below this (or its header's) width


def echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode())


def cell(name: str, value: Any) -> str:
    """One value as a person reads it in a table."""
    if value is None:
        return _EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if name.endswith("_at") and isinstance(value, int):
        return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ",".join(cell(name, v) for v in value) or _EMPTY
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items()) or _EMPTY
    return str(value)


def show(
    rows: Sequence[Mapping[str, Any]] | Mapping[str, Any],
    as_json: bool,
    columns: Sequence[str] | None = None,
) -> None:
    """Print ``rows`` as JSON (every field) or as a table of ``columns`` (default: every field)."""
    if as_json:
        echo_json(rows)
        return
    items = list(rows) if isinstance(rows, Sequence) else [rows]
    if not items:
        typer.echo("(none)")
        return
    names = list(columns or items[0].keys())
    cells = [[cell(n, item.get(n)) for n in names] for item in items]
    console = Console(highlight=False)
    widths = _fit(names, cells, console.width - _GAP * (len(names) - 1))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, header_style="bold", padding=(0, 1))
    for name, width in zip(names, widths, strict=True):
        table.add_column(name, no_wrap=True, overflow="ellipsis", width=width)
    for row in cells:
        table.add_row(*row)
    console.print(table)


def _fit(names: Sequence[str], cells: Sequence[Sequence[str]], budget: int) -> list[int]:
    """Column widths within ``budget``: the widest columns give way first, down to a floor that
    keeps headers and short values whole."""
    natural = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(names)]
    floors = [min(width, max(len(name), _FLOOR)) for width, name in zip(natural, names, strict=True)]
    widths = list(natural)
    excess = sum(widths) - budget
    while excess > 0:
        i = max(range(len(widths)), key=lambda j: widths[j] - floors[j])
        if widths[i] <= floors[i]:
            break
        widths[i] -= 1
        excess -= 1
    return widths


def show_record(record: Mapping[str, Any], as_json: bool) -> None:
    """One record as ``field  value`` lines; long values fold onto further lines, never cut."""
    if as_json:
        echo_json(record)
        return
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    for name, value in record.items():
        table.add_row(name, cell(name, value))
    Console(highlight=False).print(table)
