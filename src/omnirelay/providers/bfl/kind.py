"""The ``bfl`` channel type: Black Forest Labs' own API, keyed by the ``x-key`` secret.

Its base URL is the API's root (``https://api.bfl.ai``, or a regional one such as ``https://api.eu.bfl.ai``);
a trailing ``/v1`` is removed.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.bfl.adapter import BflProvider
from omnirelay.providers.kind import ChannelKind
from omnirelay.settings import Settings

__all__ = ["BFL"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return BflProvider(session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s)


def _image(model: str) -> str:
    """No free call exists to test a BFL channel with (every request is billed upstream)."""
    return "unavailable"


BFL = ChannelKind(
    name="bfl",
    build=_build,
    base_url=BaseURLRule(
        expects="the API's root, e.g. https://api.bfl.ai (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    purpose=_image,
    test_preference=(),
)
