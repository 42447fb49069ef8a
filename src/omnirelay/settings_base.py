"""What every settings section shares: frozen models that refuse unknown keys, and network checks."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict

__all__ = ["Frozen", "checked_networks"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def checked_networks(value: list[str]) -> list[str]:
    for network in value:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ValueError(f"{network!r} is not an IP address or CIDR range such as '10.0.0.0/8'") from exc
    return value
