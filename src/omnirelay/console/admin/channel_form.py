"""The add-a-channel form: what each channel type takes (``providers/registry.py`` KINDS and the
per-type options of ``channels/options.py``), read into the fields ``admin/channels.py`` takes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnirelay.channels.options import OPTIONS
from omnirelay.console.admin.forms import model_map, whole_or_none
from omnirelay.console.fields import listed
from omnirelay.errors import InvalidRequest
from omnirelay.providers.registry import CHANNEL_TYPES

__all__ = ["OptionField", "channel_fields", "option_fields", "tuning_fields"]


@dataclass(frozen=True, slots=True)
class OptionField:
    name: str
    types: tuple[str, ...]
    control: str
    """``checkbox``, ``select``, ``password`` or ``text``."""
    choices: tuple[str, ...]
    help: str


def option_fields() -> list[OptionField]:
    """One form control per channel option, with the types that take it (the page shows those of the
    chosen type)."""
    fields = []
    for option in OPTIONS.values():
        control = "checkbox" if option.kind is bool else "select" if option.choices else "text"
        if option.secret:
            control = "password"
        fields.append(OptionField(option.name, tuple(sorted(option.types)), control, option.choices, option.help))
    return fields


def _options(kind: str, form: dict[str, str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for field in option_fields():
        if kind not in field.types:
            continue
        value = form.get(f"option_{field.name}", "")
        if field.control == "checkbox":
            if value:
                options[field.name] = True
        elif value.strip():
            options[field.name] = value.strip()
    return options


def tuning_fields(form: dict[str, str]) -> dict[str, Any]:
    """Priority, weight and the model map (the fields an operator tunes on a live channel)."""
    fields: dict[str, Any] = {}
    priority = whole_or_none(form.get("priority", ""), "priority", signed=True)
    weight = whole_or_none(form.get("weight", ""), "weight")
    if priority is not None:
        fields["priority"] = priority
    if weight is not None:
        fields["weight"] = weight
    if "model_map" in form:
        fields["model_map"] = model_map(form["model_map"])
    if form.get("models", "").strip():
        fields["models"] = listed(form["models"])
    return fields


def channel_fields(form: dict[str, str]) -> dict[str, Any]:
    """A new channel's fields; the service checks them (the same refusals as the admin API)."""
    kind = form.get("type", "openai")
    if kind not in CHANNEL_TYPES:
        raise InvalidRequest(f"Unknown channel type {kind!r}.", param="type")
    fields: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "type": kind,
        "base_url": form.get("base_url", "").strip(),
        "secrets": [s.strip() for s in form.get("secrets", "").splitlines() if s.strip()],
        "models": listed(form.get("models", "")) or [],
        "groups": listed(form.get("groups", "")) or ["default"],
        "options": _options(kind, form),
        **tuning_fields({k: v for k, v in form.items() if k != "models"}),
    }
    timeout = form.get("timeout_s", "").strip()
    if timeout:
        try:
            fields["timeout_s"] = float(timeout)
        except ValueError as exc:
            raise InvalidRequest("timeout_s must be a number of seconds.", param="timeout_s") from exc
    return fields
