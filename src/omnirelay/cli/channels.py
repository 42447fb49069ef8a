"""``omnirelay channels``: upstream channels. CHANNEL is a channel's name or its id.

The same services as ``/api/admin/channels``; a running gateway follows within ``cache_refresh_s``.
"""

from __future__ import annotations

import shutil
from typing import Annotated, Any

import typer

from omnirelay.admin import channels as channel_admin
from omnirelay.admin.channel_refs import find_channel_id
from omnirelay.admin.channel_test import run_stored_channel_test
from omnirelay.channels.options import OPTIONS, parse_option
from omnirelay.cli.common import ConfigOption, JsonOption, echo_json, fail, run, show_record
from omnirelay.cli.context import Store
from omnirelay.errors import InvalidRequest
from omnirelay.providers.registry import KINDS

__all__ = ["channels"]

channels = typer.Typer(help="Upstream channels. CHANNEL is a name or an id.", no_args_is_help=True)

ChannelArg = Annotated[str, typer.Argument(metavar="CHANNEL", help="Channel name or id.")]
_COLUMNS = (
    ("id", "id"),
    ("name", "name"),
    ("type", "type"),
    ("state", "state"),
    ("priority", "prio"),
    ("weight", "wt"),
)
_OPTION_HELP = "A per-type setting name=value (repeatable): " + "; ".join(
    f"{o.name} ({', '.join(sorted(o.types))})" for o in OPTIONS.values()
)
_TYPE_HELP = "The upstream's API: " + ", ".join(KINDS) + " (each one's base URL: below)."
_TYPES_EPILOG = "Base URL by type:\n\n" + "\n\n".join(
    f"{name}: {kind.base_url.expects}" for name, kind in KINDS.items()
)
_NAME_WIDTH = 20
_MODELS_MIN = 16


def _state(channel: dict[str, Any]) -> str:
    if not channel["enabled"]:
        return "off"
    if channel["auto_disabled"]:
        return "auto-off"
    return "last-resort" if channel.get("last_resort") else "on"


def _options(items: list[str] | None) -> dict[str, Any]:
    try:
        return dict(parse_option(item) for item in items or [])
    except InvalidRequest as exc:
        fail(exc.message)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(rows: list[dict[str, Any]], width: int) -> list[str]:
    """One line per channel, never wider than ``width``: long names and model lists end in "…"."""
    cells = [[str(r[key] if key != "state" else _state(r)) for key, _ in _COLUMNS] for r in rows]
    cells = [[c if i != 1 else _fit(c, _NAME_WIDTH) for i, c in enumerate(line)] for line in cells]
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, (_, h) in enumerate(_COLUMNS)]
    room = max(_MODELS_MIN, width - sum(widths) - 2 * len(widths))
    lines = ["  ".join(h.ljust(w) for (_, h), w in zip(_COLUMNS, widths, strict=True)) + "  models"]
    for line, row in zip(cells, rows, strict=True):
        models = _fit(f"{len(row['models'])}: " + ",".join(row["models"]), room)
        lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + "  " + models)
    return lines


def _mapping(items: list[str] | None) -> dict[str, str]:
    pairs = {}
    for item in items or []:
        public, sep, upstream = item.partition("=")
        if not sep or not public or not upstream:
            fail(f"--map {item!r}: write it as public-name=upstream-name")
        pairs[public] = upstream
    return pairs


async def _channel_id(store: Store, ref: str) -> int:
    return await find_channel_id(store.engine, ref)


@channels.command("list")
def channels_list(config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Every channel (--json: every field, the full model lists)."""
    rows = run(config, lambda s: channel_admin.list_channels(s.engine, s.box))
    if as_json:
        echo_json(rows)
        return
    for line in _table(rows, shutil.get_terminal_size((80, 24)).columns) if rows else ["(none)"]:
        typer.echo(line.rstrip())


@channels.command("show")
def channels_show(channel: ChannelArg, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One channel, every field."""

    async def action(store: Store) -> dict[str, Any]:
        return await channel_admin.get_channel(store.engine, store.box, await _channel_id(store, channel))

    show_record(run(config, action), as_json)


@channels.command("create", epilog=_TYPES_EPILOG)
def channels_create(
    name: str,
    base_url: str,
    model: Annotated[list[str], typer.Option(help="Served model (repeatable).")],
    secret: Annotated[list[str] | None, typer.Option(help="Upstream API key (repeatable).")] = None,
    type: Annotated[str, typer.Option(help=_TYPE_HELP)] = "openai",
    priority: Annotated[int, typer.Option()] = 0,
    weight: Annotated[int, typer.Option()] = 1,
    group: Annotated[list[str] | None, typer.Option(help="Account group served (repeatable).")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds to wait for upstream bytes.")] = None,
    map: Annotated[list[str] | None, typer.Option(help="public=upstream model name (repeatable).")] = None,
    last_resort: Annotated[bool, typer.Option(help="Serve a model only when no other channel does.")] = False,
    option: Annotated[list[str] | None, typer.Option(help=_OPTION_HELP)] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a channel; its base URL is checked and stored in its type's form."""
    fields: dict[str, Any] = {
        "name": name,
        "base_url": base_url,
        "models": model,
        "secrets": secret or [],
        "type": type,
        "priority": priority,
        "weight": weight,
        "groups": group or ["default"],
        "timeout_s": timeout,
        "model_map": _mapping(map),
        "last_resort": last_resort,
        "options": _options(option),
    }
    show_record(run(config, lambda s: channel_admin.create_channel(s.engine, s.box, **fields)), as_json)


def _changes(options: dict[str, Any], map: list[str] | None, clear_map: bool, timeout: float | None) -> dict[str, Any]:
    fields = {k: v for k, v in options.items() if v not in (None, [])}
    if map or clear_map:
        fields["model_map"] = _mapping(map)
    if timeout is not None:
        fields["timeout_s"] = timeout or None
    return fields


@channels.command("update")
def channels_update(
    channel: ChannelArg,
    model: Annotated[list[str] | None, typer.Option(help="Replace the model list (repeatable).")] = None,
    add_model: Annotated[list[str] | None, typer.Option(help="Add a model (repeatable).")] = None,
    remove_model: Annotated[list[str] | None, typer.Option(help="Remove a model (repeatable).")] = None,
    name: Annotated[str | None, typer.Option(help="Rename the channel.")] = None,
    type: Annotated[str | None, typer.Option(help="Change the channel type: " + ", ".join(KINDS) + ".")] = None,
    base_url: Annotated[str | None, typer.Option(help="New base URL.")] = None,
    secret: Annotated[list[str] | None, typer.Option(help="Replace the upstream keys (repeatable).")] = None,
    priority: Annotated[int | None, typer.Option()] = None,
    weight: Annotated[int | None, typer.Option()] = None,
    group: Annotated[list[str] | None, typer.Option(help="Replace the groups served (repeatable).")] = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds to wait for upstream bytes; 0: the default.")] = None,
    map: Annotated[list[str] | None, typer.Option(help="Replace the model map: public=upstream (repeatable).")] = None,
    clear_map: Annotated[bool, typer.Option("--clear-map", help="Remove every model mapping.")] = False,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable", help="Switch the channel on or off.")] = None,
    last_resort: Annotated[bool | None, typer.Option("--last-resort/--no-last-resort")] = None,
    option: Annotated[list[str] | None, typer.Option(help=_OPTION_HELP + " Other options are kept.")] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a channel: only the options given are changed."""
    options = {
        "models": model,
        "add_models": add_model,
        "remove_models": remove_model,
        "name": name,
        "type": type,
        "base_url": base_url,
        "secrets": secret,
        "priority": priority,
        "weight": weight,
        "groups": group,
        "enabled": enabled,
        "last_resort": last_resort,
    }
    fields = _changes(options, map, clear_map, timeout)
    switches = _options(option)
    if not fields and not switches:
        fail("nothing to change: give at least one option (see --help)")

    async def action(store: Store) -> dict[str, Any]:
        channel_id = await _channel_id(store, channel)
        if switches:
            current = await channel_admin.get_channel(store.engine, store.box, channel_id)
            fields["options"] = {**current["options"], **switches}
        return await channel_admin.update_channel(store.engine, store.box, channel_id, **fields)

    show_record(run(config, action), as_json)


@channels.command("test")
def channels_test(
    channel: ChannelArg,
    model: Annotated[str | None, typer.Option(help="Model to call (default: one the channel type serves).")] = None,
    endpoint: Annotated[
        str | None, typer.Option(help="chat, embeddings, rerank, models or midjourney (default: by the model).")
    ] = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send one cheap call through the channel (never billed); exit code 1 when it fails."""

    async def action(store: Store) -> dict[str, Any]:
        channel_id = await _channel_id(store, channel)
        return await run_stored_channel_test(
            store.engine, store.box, store.settings, channel_id, model=model, endpoint=endpoint
        )

    answer = run(config, action)
    show_record(answer, as_json)
    if not answer["ok"]:
        raise typer.Exit(1)


def _switch(channel: str, config: Any, **fields: Any) -> None:
    async def action(store: Store) -> dict[str, Any]:
        return await channel_admin.update_channel(store.engine, store.box, await _channel_id(store, channel), **fields)

    run(config, action)


@channels.command("enable")
def channels_enable(channel: ChannelArg, config: ConfigOption = None) -> None:
    """Switch a channel on (also clears an automatic disable)."""
    _switch(channel, config, enabled=True)


@channels.command("disable")
def channels_disable(channel: ChannelArg, config: ConfigOption = None) -> None:
    """Switch a channel off."""
    _switch(channel, config, enabled=False)


@channels.command("delete")
def channels_delete(channel: ChannelArg, config: ConfigOption = None) -> None:
    """Remove a channel."""

    async def action(store: Store) -> None:
        await channel_admin.delete_channel(store.engine, await _channel_id(store, channel))

    run(config, action)
