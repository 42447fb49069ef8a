"""The ``kling`` channel type: Kling's official API, keyed by ``ACCESS_KEY|SECRET_KEY`` secrets.

Its base URL is the API's root (``https://api-singapore.klingai.com``); a trailing ``/v1`` is removed.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.kling.adapter import KlingProvider
from omnirelay.providers.kling.tokens import TokenCache
from omnirelay.settings import Settings

__all__ = ["KLING"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return KlingProvider(
        session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s, tokens=TokenCache()
    )


def _video(model: str) -> str:
    """No free call exists to test a Kling channel with (every create is billed upstream)."""
    return "unavailable"


KLING = ChannelKind(
    name="kling",
    build=_build,
    base_url=BaseURLRule(
        expects="the API's root, e.g. https://api-singapore.klingai.com (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    purpose=_video,
    test_preference=(),
)
