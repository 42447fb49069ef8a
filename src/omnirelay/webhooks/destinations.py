"""Refuse webhook and callback destinations that would let a caller reach our own network (SSRF).

The checks are the outbound guard's (:mod:`omnirelay.outbound`): a URL passes only when it is
http(s) with a host and **every** address its host resolves to is public (or in
``webhooks.allow_networks``). This is the up-front check, answering the client with a 400;
deliveries then go through a session whose resolver checks again at connect time, and follow
no redirect.
"""

from __future__ import annotations

from collections.abc import Sequence

from omnirelay.errors import InvalidRequest
from omnirelay.outbound.addresses import Address, Network, is_public_address, parse_networks
from omnirelay.outbound.guard import OutboundRefused, checked_addresses

__all__ = ["DestinationRefused", "Network", "check_destination", "is_public_address", "parse_networks"]


class DestinationRefused(InvalidRequest):
    code = "callback_url_refused"


async def check_destination(url: str, allowed: Sequence[Network] = (), *, param: str | None = None) -> list[Address]:
    """The addresses ``url`` may be delivered to, or :class:`DestinationRefused` with the reason (naming
    ``param``, the request field that gave the URL, when there is one)."""
    try:
        return await checked_addresses(url, allowed)
    except OutboundRefused as exc:
        raise DestinationRefused(
            f"The callback URL is refused: {exc.message}. Private destinations are refused unless the "
            "operator allow-lists them in webhooks.allow_networks.",
            param=param,
        ) from exc
