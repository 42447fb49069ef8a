"""Requests the gateway makes on someone else's behalf, to URLs it did not choose (SSRF guard).

* :mod:`~omnirelay.outbound.addresses`: which addresses are public, and the operator's allow-lists;
* :mod:`~omnirelay.outbound.guard`: a URL's addresses checked up front, and a resolver that only
  hands the connector checked addresses (so a name cannot re-resolve elsewhere after the check);
* :mod:`~omnirelay.outbound.fetch`: a bounded GET of an upstream's link: every redirect hop
  re-checked, the size capped while streaming, no transparent decompression, types allow-listed.
"""

from omnirelay.outbound.addresses import Address, Network, is_public_address, parse_networks
from omnirelay.outbound.fetch import FetchedStream, FetchPolicy, OutboundClient
from omnirelay.outbound.guard import OutboundRefused, checked_addresses

__all__ = [
    "Address",
    "FetchPolicy",
    "FetchedStream",
    "Network",
    "OutboundClient",
    "OutboundRefused",
    "checked_addresses",
    "is_public_address",
    "parse_networks",
]
