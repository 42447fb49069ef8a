"""The ``ark`` channel type: Volcengine Ark (or BytePlus ModelArk), keyed by an Ark API key.

Its base URL is the API root ``https://ark.cn-beijing.volces.com/api/v3`` (BytePlus:
``https://ark.ap-southeast.bytepluses.com/api/v3``); a bare host gets ``/api/v3``.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, add_when_bare
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.ark.adapter import ArkProvider
from omnirelay.providers.kind import ChannelKind
from omnirelay.settings import Settings

__all__ = ["ARK"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return ArkProvider(session, links, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s)


def _purpose(model: str) -> str:
    """No free call exists to test an Ark channel with (every image and video is billed upstream)."""
    return "unavailable"


ARK = ChannelKind(
    name="ark",
    build=_build,
    base_url=BaseURLRule(
        expects="the API root, e.g. https://ark.cn-beijing.volces.com/api/v3 (a bare host gets /api/v3)",
        path=add_when_bare("/api/v3"),
    ),
    purpose=_purpose,
    test_preference=(),
)
