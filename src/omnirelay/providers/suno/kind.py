"""The ``suno`` channel type: a Suno upstream in the aggregator (2A) or gcui-art (2B) dialect.

Its base URL is the server's root: a trailing ``/suno`` (aggregator) or ``/api`` (gcui) is removed.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.suno.adapter import SunoProvider
from omnirelay.settings import Settings

__all__ = ["SUNO"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return SunoProvider(session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s)


def _music(model: str) -> str:
    """No test endpoint calls Suno yet (a free one exists: ``POST /suno/fetch {"ids": []}``)."""
    return "unavailable"


SUNO = ChannelKind(
    name="suno",
    build=_build,
    base_url=BaseURLRule(
        expects="the server's root, e.g. https://suno-api.example (a trailing /suno or /api is removed)",
        path=strip_suffixes("/suno", "/api"),
    ),
    purpose=_music,
    test_preference=(),
)
