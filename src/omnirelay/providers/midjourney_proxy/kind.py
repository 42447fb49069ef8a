"""The ``midjourney`` channel type: a Midjourney-Proxy server, its base URL the root before ``/mj``."""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.midjourney_proxy.adapter import MidjourneyProxyProvider
from omnirelay.settings import Settings

__all__ = ["MIDJOURNEY"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return MidjourneyProxyProvider(
        session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s
    )


def _tasks(model: str) -> str:
    return "midjourney"


MIDJOURNEY = ChannelKind(
    name="midjourney",
    build=_build,
    base_url=BaseURLRule(
        expects="the proxy's root, e.g. https://mj-proxy.example (a trailing /mj is removed)",
        path=strip_suffixes("/mj"),
    ),
    purpose=_tasks,
    test_preference=("midjourney",),
)
