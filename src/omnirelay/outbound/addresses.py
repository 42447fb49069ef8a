"""Which IP addresses the gateway may reach for others: public ones, and ranges the operator allow-listed.

An address is public only when it and every IPv4 address it carries (IPv4-mapped ``::ffff:a.b.c.d``,
6to4 ``2002::/16``, Teredo, NAT64 ``64:ff9b::/96``) are neither loopback, private, link-local
(cloud metadata at 169.254.169.254 included), shared (100.64/10), multicast, reserved nor
unspecified, and are globally routable.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

__all__ = ["Address", "Network", "is_allowed", "is_public_address", "literal_address", "parse_networks"]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def parse_networks(ranges: Sequence[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(r, strict=False) for r in ranges)


def _carried(address: Address) -> list[Address]:
    """``address`` and the IPv4 addresses it stands for."""
    found: list[Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.append(address.teredo[1])
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED:
        return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def is_public_address(address: Address) -> bool:
    return all(_public(a) for a in _carried(address))


def is_allowed(address: Address, allowed: Sequence[Network]) -> bool:
    """Public, or (as itself or as the IPv4 address it maps) inside an allow-listed range."""
    if is_public_address(address):
        return True
    plain = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return any(address in network or (plain is not None and plain in network) for network in allowed)


def literal_address(host: str) -> Address | None:
    """The address a URL's host spells directly (``1.2.3.4``, ``[::1]``), else None (a name)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
