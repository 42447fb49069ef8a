"""Per-type channel options (``channels.options``): which a type takes, and their checks.

One table for the admin API, the CLI and the settings file, so each refuses the same mistakes
with the same message: an option no type takes, one this type does not take, a value of the
wrong kind. The message names the field and says what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.channels.crypto import SecretBox
from omnirelay.errors import InvalidRequest

__all__ = [
    "HIDDEN",
    "OPTIONS",
    "ChannelOption",
    "checked_options",
    "opened_options",
    "parse_option",
    "public_options",
    "sealed_options",
]

HIDDEN = "[set]"
"""What listings show for a secret option; sent back unchanged, it keeps the stored value."""
_SEALED = "sealed:"


@dataclass(frozen=True, slots=True)
class ChannelOption:
    name: str
    types: frozenset[str]
    """The channel types that take it."""
    kind: type
    help: str
    choices: tuple[str, ...] = ()
    """For a ``str`` option: the values it takes (the first is what a channel without it gets)."""
    secret: bool = False
    """Stored encrypted like the channel's secrets, shown as ``[set]``, never logged."""
    required: bool = False
    """Every channel of ``types`` must have it (it cannot serve anything without)."""


OPTIONS: dict[str, ChannelOption] = {
    o.name: o
    for o in (
        ChannelOption(
            "responses",
            frozenset({"openai"}),
            bool,
            "the upstream serves /v1/responses itself: Responses requests are relayed to it as they are",
        ),
        ChannelOption(
            "dialect",
            frozenset({"suno"}),
            str,
            "the upstream's Suno API: aggregator (new-api's /suno/* format) or gcui (gcui-art/suno-api)",
            choices=("aggregator", "gcui"),
        ),
        ChannelOption(
            "webhook_secret",
            frozenset({"replicate"}),
            str,
            "the upstream account's webhook signing secret (whsec_..., from GET /v1/webhooks/default/secret): "
            "its signed webhooks are verified with it",
            secret=True,
        ),
        ChannelOption(
            "vendor",
            frozenset({"task_vendor"}),
            str,
            "the task vendor (task_vendors in the settings file, or /api/admin/task-vendors) this channel serves",
            required=True,
        ),
    )
}


def checked_options(channel_type: str, options: Any) -> dict[str, Any]:
    """``options`` for a channel of ``channel_type``, or InvalidRequest naming the field and the fix."""
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise InvalidRequest(
            'options must be an object of option names to values, e.g. {"responses": true}.', param="options"
        )
    checked: dict[str, Any] = {}
    for name, value in options.items():
        option = OPTIONS.get(name)
        if option is not None and option.secret and isinstance(value, str) and value == HIDDEN:
            checked[name] = value  # "keep the stored secret" (sealed_options resolves it)
            continue
        if option is None:
            known = ", ".join(sorted(OPTIONS))
            raise InvalidRequest(
                f"options.{name}: no channel type takes this option; known options: {known}.", param=f"options.{name}"
            )
        if channel_type not in option.types:
            takers = ", ".join(sorted(option.types))
            raise InvalidRequest(
                f"options.{name}: channels of type {channel_type!r} do not take it (only {takers}); remove it.",
                param=f"options.{name}",
            )
        checked[name] = _checked_value(option, value)
    _require(channel_type, checked)
    return checked


def _require(channel_type: str, checked: Mapping[str, Any]) -> None:
    for option in OPTIONS.values():
        if option.required and channel_type in option.types and option.name not in checked:
            name = option.name
            raise InvalidRequest(
                f"options.{name}: a {channel_type} channel needs it: {option.help}. Set it with --option {name}=NAME "
                f'(CLI), "options": {{"{name}": "NAME"}} (admin API) or options = {{{name} = "NAME"}} (settings file).',
                param=f"options.{name}",
            )


def _expected(option: ChannelOption) -> str:
    if option.choices:
        return " or ".join(f'"{choice}"' for choice in option.choices)
    return "a non-empty string" if option.kind is str else "true or false"


def _checked_value(option: ChannelOption, value: Any) -> Any:
    wrong = option.choices and value not in option.choices
    if type(value) is not option.kind or wrong or (option.kind is str and not str(value).strip()):
        raise InvalidRequest(
            f"options.{option.name} must be {_expected(option)}; got {value!r}.", param=f"options.{option.name}"
        )
    return value


def _shown(option: ChannelOption) -> str:
    if option.choices:
        return "|".join(option.choices)
    return "<text>" if option.kind is str else "true|false"


def parse_option(text: str) -> tuple[str, Any]:
    """``name=value`` from the command line, the value read as the option's kind (``responses=true``)."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    option = OPTIONS.get(name)
    if not sep or option is None:
        known = ", ".join(f"{o}={_shown(OPTIONS[o])}" for o in sorted(OPTIONS))
        raise InvalidRequest(f"--option {text!r}: expected name=value, one of: {known}.", param="options")
    value = raw.strip().lower()
    if option.choices and value in option.choices:
        return name, value
    if option.kind is str and not option.choices and raw.strip():
        return name, raw.strip()
    if option.kind is bool and value in ("true", "false", "1", "0", "yes", "no", "on", "off"):
        return name, value in ("true", "1", "yes", "on")
    raise InvalidRequest(f"--option {text!r}: {name} takes {_expected(option)}.", param=f"options.{name}")


def _is_secret(name: str) -> bool:
    option = OPTIONS.get(name)
    return option is not None and option.secret


def sealed_options(options: Mapping[str, Any], stored: Mapping[str, Any] | None, box: SecretBox) -> dict[str, Any]:
    """``options`` as stored: secret values encrypted; a secret sent back as ``[set]`` keeps ``stored``'s."""
    sealed: dict[str, Any] = {}
    for name, value in options.items():
        if not _is_secret(name):
            sealed[name] = value
        elif value == HIDDEN:
            if stored and name in stored:
                sealed[name] = stored[name]
        elif isinstance(value, str) and value.startswith(_SEALED):
            sealed[name] = value
        else:
            sealed[name] = _SEALED + box.seal([str(value)])
    return sealed


def opened_options(stored: Mapping[str, Any] | None, box: SecretBox) -> dict[str, Any]:
    """Stored options with their secret values decrypted (what routing and providers read)."""
    opened: dict[str, Any] = {}
    for name, value in (stored or {}).items():
        if isinstance(value, str) and value.startswith(_SEALED):
            value = box.open(value.removeprefix(_SEALED))[0]
        opened[name] = value
    return opened


def public_options(stored: Mapping[str, Any] | None) -> dict[str, Any]:
    """Stored options as listings show them: secret values as ``[set]``."""
    return {name: HIDDEN if _is_secret(name) else value for name, value in (stored or {}).items()}
