"""Checking where a URL leads before the gateway connects there on someone else's behalf.

:func:`checked_addresses` resolves a URL's host and refuses it unless every address is
allowed (:func:`~omnirelay.outbound.addresses.is_allowed`): for URLs handed to someone else
(a webhook receiver, an image link an upstream will fetch) and as an early, readable check.

:class:`GuardedResolver` is the resolver of the sessions that do connect (:mod:`.fetch`,
webhook deliveries): it hands the connector only addresses it checked itself, so a name
that resolves to a public address at the check and to ``127.0.0.1`` a moment later (DNS
rebinding) is refused at connect time too. Hosts written as IP addresses never reach a
resolver, so :func:`check_literal_host` checks those before every request and redirect hop.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from omnirelay.outbound.addresses import Address, Network, is_allowed, literal_address

__all__ = ["GuardedResolver", "OutboundRefused", "check_literal_host", "checked_addresses", "url_host"]


class OutboundRefused(OSError):
    """The destination is not one the gateway may reach (an :class:`OSError`, so aiohttp passes it through)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _refused_address(url: str, address: Address) -> OutboundRefused:
    return OutboundRefused(
        f"{url!r} leads to {address}, a loopback, private, link-local or otherwise non-public address"
    )


def url_host(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL, or :class:`OutboundRefused` saying what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"{url!r} is not an http or https URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise OutboundRefused(f"{url!r} has an invalid port") from exc
    return parts.hostname, port


def check_literal_host(url: str, allowed: Sequence[Network]) -> None:
    """Refuse ``url`` when its host is an IP address that is not allowed (names are left to the resolver).

    Numeric hosts other than a dotted quad (``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
    ``127.1``, ``0``) are refused outright: connectors may hand them to the system's resolver
    unchecked, which reads them as addresses.
    """
    host, _ = url_host(url)
    address = literal_address(host)
    if address is None and _numeric(host):
        raise OutboundRefused(f"{url!r} spells its address in a numeric form other than a dotted quad")
    if address is not None and not is_allowed(address, allowed):
        raise _refused_address(url, address)


def _numeric(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


async def checked_addresses(url: str, allowed: Sequence[Network] = ()) -> list[Address]:
    """Every address ``url``'s host resolves to, all allowed; else :class:`OutboundRefused`."""
    host, port = url_host(url)
    address = literal_address(host)
    if address is not None:
        addresses = [address]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise OutboundRefused(f"the host of {url!r} cannot be resolved") from exc
        addresses = [_address(str(info[4][0])) for info in infos]
    for found in addresses:
        if not is_allowed(found, allowed):
            raise _refused_address(url, found)
    return addresses


def _address(text: str) -> Address:
    found = literal_address(text.split("%", 1)[0])
    if found is None:  # getaddrinfo only answers with numeric addresses
        raise OutboundRefused(f"the resolver answered {text!r}, which is not an IP address")
    return found


class GuardedResolver(AbstractResolver):
    """A resolver that refuses a name when any of its addresses is not allowed."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._allowed = tuple(allowed)
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            address = _address(str(result["host"]))
            if not is_allowed(address, self._allowed):
                raise OutboundRefused(f"the host {host!r} resolves to {address}, which is not a public address")
        return results

    async def close(self) -> None:
        await self._inner.close()
