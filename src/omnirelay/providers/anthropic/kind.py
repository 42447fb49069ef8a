"""The ``anthropic`` channel type: its base URL is the API root, stored without ``/v1``."""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.anthropic.adapter import AnthropicProvider
from omnirelay.providers.kind import ChannelKind
from omnirelay.settings import Settings

__all__ = ["ANTHROPIC"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return AnthropicProvider(
        session,
        connect_timeout_s=relay.connect_timeout_s,
        read_timeout_s=relay.read_timeout_s,
        max_request_s=relay.max_request_s,
        default_max_tokens=relay.default_output_tokens,
    )


ANTHROPIC = ChannelKind(
    name="anthropic",
    build=_build,
    base_url=BaseURLRule(
        expects="the API root, e.g. https://api.anthropic.com (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    test_preference=("chat",),
)
