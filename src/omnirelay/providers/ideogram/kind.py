"""The ``ideogram`` channel type: Ideogram's official API, keyed by an ``Api-Key`` secret.

Its base URL is the API's root (``https://api.ideogram.ai``), where ``/generate`` and
``/v1/ideogram-v3/...`` live.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.ideogram.adapter import IdeogramProvider
from omnirelay.providers.kind import ChannelKind
from omnirelay.settings import Settings

__all__ = ["IDEOGRAM"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return IdeogramProvider(
        session, links, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s
    )


def _image(model: str) -> str:
    """Every Ideogram model draws images (no free call exists to test a channel with: ``test_preference``)."""
    return "image"


IDEOGRAM = ChannelKind(
    name="ideogram",
    build=_build,
    base_url=BaseURLRule(
        expects="the API's root, e.g. https://api.ideogram.ai (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    purpose=_image,
    test_preference=(),
)
