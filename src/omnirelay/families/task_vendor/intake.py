"""A client's submit body checked against its vendor's declared ``fields``, before anything is held.

Every field the vendor does not declare is refused by name (a typo must not be dropped silently),
except ``callback_url`` / ``notify_hook``: the gateway's own signed webhooks, SSRF-checked, never
sent upstream. Defaults are filled in; what passes is offered to the templates as ``body.<field>``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from omnirelay.errors import InvalidRequest
from omnirelay.families.task_vendor.config import JSON_TYPES, FieldSpec, VendorConfig

__all__ = ["CALLBACK_FIELDS", "Intake", "checked_body"]

CALLBACK_FIELDS = ("callback_url", "notify_hook")
_MAX_CALLBACK = 2048


@dataclass(frozen=True, slots=True)
class Intake:
    fields: dict[str, Any]
    """The declared fields the client sent, defaults filled in."""
    callback_url: str | None


def _typed(name: str, spec: FieldSpec, value: Any) -> Any:
    wanted = JSON_TYPES[spec.type]
    if not isinstance(value, wanted) or (spec.type != "boolean" and isinstance(value, bool)):
        raise InvalidRequest(f"{name} must be of type {spec.type}.", param=name)
    if spec.choices is not None and value not in spec.choices:
        raise InvalidRequest(f"{name} must be one of {', '.join(map(str, spec.choices))}.", param=name)
    if spec.max_length is not None and isinstance(value, str | list) and len(value) > spec.max_length:
        raise InvalidRequest(f"{name} must be at most {spec.max_length} long.", param=name)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if spec.minimum is not None and value < spec.minimum:
            raise InvalidRequest(f"{name} must be at least {spec.minimum:g}.", param=name)
        if spec.maximum is not None and value > spec.maximum:
            raise InvalidRequest(f"{name} must be at most {spec.maximum:g}.", param=name)
    if isinstance(value, str) and spec.required and not value.strip():
        raise InvalidRequest(f"{name} must not be empty.", param=name)
    return value


def _callback(body: Mapping[str, Any]) -> str | None:
    given = [(name, body[name]) for name in CALLBACK_FIELDS if body.get(name) not in (None, "")]
    if not given:
        return None
    name, value = given[0]
    if not isinstance(value, str) or len(value) > _MAX_CALLBACK or not value.startswith(("http://", "https://")):
        raise InvalidRequest(f"{name} must be an http(s) URL of at most {_MAX_CALLBACK} characters.", param=name)
    return value


def _unknown(name: str, vendor: VendorConfig) -> InvalidRequest:
    known = [*vendor.fields, *CALLBACK_FIELDS]
    near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {near[0]}?" if near else f"known fields: {', '.join(known)}."
    return InvalidRequest(f"Unknown field {name}: {hint}", param=name)


def checked_body(vendor: VendorConfig, body: object) -> Intake:
    """The body's declared fields, checked and completed; InvalidRequest naming the first wrong one."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    for name in body:
        if name not in vendor.fields and name not in CALLBACK_FIELDS:
            raise _unknown(name, vendor)
    fields: dict[str, Any] = {}
    for name, spec in vendor.fields.items():
        value = body.get(name)
        if value is None:
            if spec.required:
                raise InvalidRequest(f"{name} is required.", param=name)
            if spec.default is not None:
                fields[name] = spec.default
            continue
        fields[name] = _typed(name, spec, value)
    return Intake(fields, _callback(body))
