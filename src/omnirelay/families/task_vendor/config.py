"""A task vendor's configuration: everything the declarative relay needs to serve one "submit, then
poll" upstream, checked when it is loaded (settings file or admin API), never at request time.

Each model refuses unknown fields (with a "did you mean" from the settings layer), and the checks
below name the field and say what is allowed: a JSON pointer that is not one, a status mapped to a
state that does not exist, a template naming a variable its place does not offer, a price that
names no unit, two vendors on one path. docs/operate-task-vendors.md describes every field.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from omnirelay.families.task_vendor.pointer import Pointer, parse_pointer
from omnirelay.families.task_vendor.template import check_template, placeholders

__all__ = [
    "JSON_TYPES",
    "STATES",
    "FieldSpec",
    "ResultField",
    "TaskVendors",
    "VendorConfig",
    "check_unique",
]

STATES: dict[str, str] = {
    "queued": "SUBMITTED",
    "running": "IN_PROGRESS",
    "succeeded": "SUCCESS",
    "failed": "FAILURE",
    "canceled": "CANCEL",
}
"""The gateway's task states (spec §0) an upstream status may be mapped to, and the engine's names."""
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+)+$")
_UNSAFE_TYPES = ("html", "javascript", "ecmascript", "svg")
_HEADER = re.compile(r"^[A-Za-z0-9-]{1,100}$")
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _pointer(text: str) -> str:
    parse_pointer(text)
    return text


PointerText = Annotated[str, AfterValidator(_pointer)]


class FieldSpec(_Strict):
    """One field of the client's request body."""

    type: Literal["string", "integer", "number", "boolean", "object", "array"] = "string"
    required: bool = False
    default: Any = None
    choices: list[Any] | None = None
    max_length: int | None = Field(default=None, ge=1)
    minimum: float | None = None
    maximum: float | None = None

    @model_validator(mode="after")
    def _default_fits(self) -> FieldSpec:
        for value in [self.default, *(self.choices or [])]:
            wrong = value is not None and (
                not isinstance(value, JSON_TYPES[self.type]) or (self.type != "boolean" and isinstance(value, bool))
            )
            if wrong:
                raise ValueError(f"{value!r} is not of type {self.type}")
        if self.choices is not None and self.default is not None and self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of choices")
        return self


class ResultField(_Strict):
    """One field of the finished task's ``result``, read from the poll answer."""

    pointer: PointerText
    file: bool = False
    """A URL of a file: clients get a signed gateway link that streams it, never the upstream URL."""
    content_types: list[str] = Field(default_factory=lambda: ["video/", "image/", "audio/"])
    """Media types the file may have: a prefix ending in ``/`` or one exact type."""

    @field_validator("content_types")
    @classmethod
    def _safe_types(cls, value: list[str]) -> list[str]:
        for kind in value:
            if "/" not in kind or any(word in kind.lower() for word in _UNSAFE_TYPES):
                raise ValueError(f"{kind!r} is not allowed: give 'video/' or an exact type (no html, script, svg)")
        return value


class SubmitSpec(_Strict):
    method: Literal["POST", "PUT"] = "POST"
    path: str
    """Appended to the channel's base URL; may name ``{{ body.field }}``."""
    body: dict[str, Any] = Field(default_factory=dict)
    """The upstream's JSON body, a template: ``{"input": "{{ body.script }}"}``."""
    task_id: PointerText
    """Where the submit answer holds the upstream's task id, e.g. ``/data/task_id``."""


class PollSpec(_Strict):
    method: Literal["GET", "POST"] = "GET"
    path: str
    """May name ``{{ upstream_id }}``: ``/v1/tasks/{{ upstream_id }}``."""
    interval_s: float = Field(default=2.0, gt=0, le=3600)
    status: PointerText
    statuses: dict[str, str]
    """Upstream status value -> ``queued``, ``running``, ``succeeded``, ``failed`` or ``canceled``."""
    progress: PointerText | None = None
    progress_scale: float = Field(default=1.0, gt=0)
    """Multiplied into the progress value: ``100`` when the upstream reports 0..1."""
    fail_reason: PointerText | None = None
    result: dict[str, ResultField] = Field(default_factory=dict)

    @field_validator("statuses")
    @classmethod
    def _known_states(cls, value: dict[str, str]) -> dict[str, str]:
        for upstream, state in value.items():
            if state not in STATES:
                near = difflib.get_close_matches(state, list(STATES), n=1, cutoff=0.5)
                hint = f"did you mean {near[0]}? " if near else ""
                raise ValueError(f"{upstream!r} maps to unknown state {state!r} ({hint}states: {', '.join(STATES)})")
        if "succeeded" not in value.values():
            raise ValueError("no upstream status maps to succeeded: a task could never finish")
        return value


class CancelSpec(_Strict):
    method: Literal["POST", "DELETE", "PUT"] = "POST"
    path: str
    body: dict[str, Any] = Field(default_factory=dict)


class AuthSpec(_Strict):
    header: str = "Authorization"
    value: str = "Bearer {{ secret }}"

    @field_validator("header")
    @classmethod
    def _token(cls, value: str) -> str:
        if not _HEADER.match(value):
            raise ValueError("a header name is letters, digits and '-', e.g. X-Api-Key")
        return value


class PriceSpec(_Strict):
    per: Literal["call", "unit"]
    """``call``: the price of the vendor's model once per task; ``unit``: per unit of ``unit_field``."""
    name: str | None = None
    """The price list entry (default: the vendor's model)."""
    unit_field: str | None = None
    """``per: unit``: the ``result`` field holding the units made (seconds, slides); rounded up."""
    hold_units: int = Field(default=1, ge=1, le=1_000_000)
    """``per: unit``: units held at submit (the cost never exceeds the hold)."""
    hold_units_field: str | None = None
    """``per: unit``: an integer request field whose value is the units held (``hold_units`` when absent)."""


def _variables(fields: dict[str, FieldSpec]) -> dict[str, str]:
    return {"model": "", "task_id": "", **{f"body.{name}": "" for name in fields}}


class VendorConfig(_Strict):
    """One vendor. Its client path is ``/v1/vendors`` + ``path``."""

    name: str
    model: str | None = None
    """What routing and the price list know it by (default: ``name``); its channels list this model."""
    path: str
    method: Literal["POST", "PUT"] = "POST"
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    submit: SubmitSpec
    poll: PollSpec
    cancel: CancelSpec | None = None
    auth: AuthSpec = AuthSpec()
    price: PriceSpec
    timeout_s: float | None = Field(default=None, gt=0)
    """A task not finished by then is failed and refunded (default: ``tasks.timeout_s``)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("a vendor name is lowercase letters, digits and '-', e.g. digital-human")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not _PATH.match(value):
            raise ValueError("path is like /digital-human/videos (served at /v1/vendors/digital-human/videos)")
        return value

    @property
    def routed_model(self) -> str:
        return self.model or self.name

    @property
    def price_name(self) -> str:
        return self.price.name or self.routed_model

    @property
    def client_path(self) -> str:
        return "/v1/vendors" + self.path

    @model_validator(mode="after")
    def _consistent(self) -> VendorConfig:
        _check_templates(self)
        _check_price(self)
        return self


def _check_templates(config: VendorConfig) -> None:
    body_vars = _variables(config.fields)
    _checked("submit.path", config.submit.path, body_vars)
    _checked("submit.body", config.submit.body, body_vars)
    _checked("poll.path", config.poll.path, {"upstream_id": ""})
    if config.cancel is not None:
        _checked("cancel.path", config.cancel.path, {"upstream_id": ""})
        _checked("cancel.body", config.cancel.body, {"upstream_id": ""})
    _checked("auth.value", config.auth.value, {"secret": ""})
    if "secret" not in placeholders(config.auth.value):
        raise ValueError("auth.value: name {{ secret }} (the channel's secret), e.g. 'Bearer {{ secret }}'")


def _checked(where: str, template: Any, variables: dict[str, str]) -> None:
    try:
        check_template(template, variables)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


def _check_price(config: VendorConfig) -> None:
    price = config.price
    if price.per == "call":
        if price.unit_field or price.hold_units_field or price.hold_units != 1:
            raise ValueError("price: unit_field, hold_units and hold_units_field are for per: unit only")
        return
    if price.unit_field is None:
        raise ValueError("price.unit_field: per: unit needs the result field holding the units made")
    if price.unit_field not in config.poll.result:
        raise ValueError(
            f"price.unit_field: {price.unit_field!r} is not a poll.result field "
            f"(fields: {', '.join(config.poll.result) or 'none'})"
        )
    held = price.hold_units_field
    if held is not None and (held not in config.fields or config.fields[held].type != "integer"):
        raise ValueError(f"price.hold_units_field: {held!r} is not an integer field of fields")


def pointer_of(text: str | None) -> Pointer | None:
    return parse_pointer(text) if text is not None else None


def check_unique(vendors: list[VendorConfig]) -> list[VendorConfig]:
    """ValueError when two vendors share a name or a client path (routing must find one)."""
    names: set[str] = set()
    paths: dict[tuple[str, str], str] = {}
    for vendor in vendors:
        if vendor.name in names:
            raise ValueError(f"two vendors are named {vendor.name!r}")
        names.add(vendor.name)
        key = (vendor.method, vendor.path)
        if key in paths:
            raise ValueError(f"{vendor.name!r} and {paths[key]!r} both take {vendor.method} {vendor.client_path}")
        paths[key] = vendor.name
    return vendors


TaskVendors = Annotated[list[VendorConfig], AfterValidator(check_unique)]
"""The ``task_vendors`` setting: a list of vendors with distinct names and paths."""
