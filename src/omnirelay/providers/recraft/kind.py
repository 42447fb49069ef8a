"""The ``recraft`` channel type: Recraft's official API, keyed by a Bearer token.

Its base URL is the API's root with its version, ``https://external.api.recraft.ai/v1`` (``/v1`` is
added when the URL has no path), under which ``/images/...`` live.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, add_when_bare
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.recraft.adapter import RecraftProvider
from omnirelay.settings import Settings

__all__ = ["RECRAFT"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return RecraftProvider(
        session, links, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s
    )


def _image(model: str) -> str:
    """Every Recraft model draws images (no free call exists to test a channel with: ``test_preference``)."""
    return "image"


RECRAFT = ChannelKind(
    name="recraft",
    build=_build,
    base_url=BaseURLRule(
        expects="the API root, e.g. https://external.api.recraft.ai/v1 (the /v1 is added when the URL has no path)",
        path=add_when_bare("/v1"),
    ),
    purpose=_image,
    test_preference=(),
)
