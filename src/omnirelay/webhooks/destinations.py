"""Refuse webhook destinations that would let a caller reach our own network (SSRF).

A URL passes only when it is http(s) with a host, and **every** address its host resolves
to is public: not loopback, private, link-local (cloud metadata at 169.254.169.254 included),
shared (100.64/10), multicast, reserved or unspecified, IPv4-mapped IPv6 included. Operators
may allow-list ranges (tests allow 127.0.0.1). Deliveries must also follow no redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from omnirelay.errors import InvalidRequest

__all__ = ["DestinationRefused", "check_destination", "is_public_address", "parse_networks"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class DestinationRefused(InvalidRequest):
    code = "callback_url_refused"


def parse_networks(ranges: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(r, strict=False) for r in ranges)


def is_public_address(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


async def _resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefused(f"The callback host {host!r} cannot be resolved.", param="notifyHook") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_destination(url: str, allowed: Sequence[Network] = ()) -> list[Address]:
    """The addresses ``url`` may be delivered to, or :class:`DestinationRefused` with the reason."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(f"The callback URL {url!r} must be an http or https URL with a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DestinationRefused(f"The callback URL {url!r} has an invalid port.") from exc
    addresses = await _resolve(parts.hostname, port)
    for address in addresses:
        if not is_public_address(address) and not any(address in network for network in allowed):
            raise DestinationRefused(
                f"The callback URL {url!r} points at {address}, a private, loopback or link-local address; "
                "such destinations are refused unless the operator allow-lists them in webhooks.allow_networks."
            )
    return addresses
