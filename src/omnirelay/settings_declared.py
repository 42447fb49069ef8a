"""Entries declared in the settings file (``[[accounts]]``, ``[[keys]]``, ``[[channels]]``,
``[[prices]]``), applied to the store at start by :mod:`omnirelay.bootstrap`."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from pydantic import Field, StrictInt, ValidationInfo, field_validator, model_validator

from omnirelay.accounts.limits import checked_limit
from omnirelay.billing.amounts import Amount
from omnirelay.billing.price_rules import checked_price
from omnirelay.errors import InvalidRequest
from omnirelay.settings_base import Frozen, checked_networks

__all__ = ["BootstrapAccount", "BootstrapChannel", "BootstrapKey", "BootstrapPrice"]


class BootstrapAccount(Frozen):
    name: str
    balance: Amount = 0
    """Micro-units credited when the account is first created (an integer from 0 to 10^15)."""
    group: str = "default"


class BootstrapKey(Frozen):
    account: str
    name: str
    key: str
    """The key itself (``sk-...``); only its hash is stored."""
    models: list[str] | None = None
    rpm: int | None = None
    tpm: int | None = None
    max_concurrency: int | None = None
    spend_cap: Amount | None = None
    ip_allowlist: list[str] | None = None
    """Addresses or CIDR ranges the key may be used from; unset: anywhere."""
    expires_at: int | None = None
    """Epoch milliseconds, or a date-time (``2027-01-01T00:00:00Z``, UTC when no zone); unset: never."""
    enabled: bool | None = None
    """Unset: a new key starts enabled and a key disabled through the admin API stays disabled."""

    @field_validator("ip_allowlist")
    @classmethod
    def _networks(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else checked_networks(value)

    @field_validator("rpm", "tpm", "max_concurrency")
    @classmethod
    def _usable_limit(cls, value: int | None, info: ValidationInfo) -> int | None:
        try:
            return checked_limit(str(info.field_name), value)
        except InvalidRequest as exc:
            raise ValueError(exc.message) from exc

    @field_validator("expires_at", mode="before")
    @classmethod
    def _epoch_ms(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            try:
                value = datetime.datetime.fromisoformat(value)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not epoch milliseconds nor a date-time like 2027-01-01T00:00Z") from exc
        if isinstance(value, datetime.datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
            return int(moment.timestamp() * 1000)
        if isinstance(value, datetime.date):
            return int(datetime.datetime(value.year, value.month, value.day, tzinfo=datetime.UTC).timestamp() * 1000)
        return value


class BootstrapChannel(Frozen):
    name: str
    type: str = "openai"
    base_url: str
    secrets: list[str] = Field(default_factory=list)
    models: list[str]
    model_map: dict[str, str] = Field(default_factory=dict)
    priority: int = 0
    weight: int = 1
    groups: list[str] = Field(default_factory=lambda: ["default"])
    timeout_s: float | None = None
    last_resort: bool = False
    """Serve a model only when no other channel is routed for it (docs/operate-channels.md)."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Per-type switches, checked like the admin API's (``{responses = true}`` on an ``openai`` channel)."""


class BootstrapPrice(Frozen):
    """A ``[[prices]]`` entry: ``mode`` may be left out (``per_call`` alone means per call,
    ``input_per_million``/``output_per_million`` per token); checked by ``billing/price_rules.py``,
    so a price that could bill nothing refuses to start."""

    model: str
    mode: Literal["per_call", "per_token", "free"] | None = None
    per_call: StrictInt | None = None
    input_per_million: StrictInt | None = None
    output_per_million: StrictInt | None = None
    # a per-token price's optional fields (docs/operate-billing.md)
    cache_read_per_million: StrictInt | None = None
    cache_write_5m_per_million: StrictInt | None = None
    cache_write_1h_per_million: StrictInt | None = None
    reasoning_per_million: StrictInt | None = None
    audio_input_per_million: StrictInt | None = None
    audio_output_per_million: StrictInt | None = None
    image_input_per_million: StrictInt | None = None
    tiers: list[dict[str, Any]] | None = None
    web_search_per_call: StrictInt | None = None

    @model_validator(mode="after")
    def _billable(self) -> BootstrapPrice:
        try:
            checked_price(**self.model_dump())
        except InvalidRequest as exc:
            raise ValueError(f"model {self.model!r}: {exc.message}") from exc
        return self
