"""The ``minimax`` channel type: MiniMax's API (``https://api.minimax.io``), keyed by its API key.

Its base URL is the API's root; a trailing ``/v1`` is removed.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.minimax.adapter import MiniMaxProvider
from omnirelay.settings import Settings

__all__ = ["MINIMAX"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return MiniMaxProvider(session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s)


def _video(model: str) -> str:
    """No free call exists to test a MiniMax video channel with (every create is billed upstream)."""
    return "unavailable"


MINIMAX = ChannelKind(
    name="minimax",
    build=_build,
    base_url=BaseURLRule(
        expects="the API's root, e.g. https://api.minimax.io (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    purpose=_video,
    test_preference=(),
)
