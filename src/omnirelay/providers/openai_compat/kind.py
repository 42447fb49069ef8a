"""The ``openai`` channel type: any OpenAI-compatible API, its base URL being the API root."""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, add_when_bare
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.openai_compat.adapter import OpenAICompatProvider
from omnirelay.settings import Settings

__all__ = ["OPENAI"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return OpenAICompatProvider(
        session,
        links,
        connect_timeout_s=relay.connect_timeout_s,
        read_timeout_s=relay.read_timeout_s,
        max_request_s=relay.max_request_s,
    )


OPENAI = ChannelKind(
    name="openai",
    build=_build,
    base_url=BaseURLRule(
        expects="the API root, e.g. https://api.openai.com/v1 (the /v1 is added when the URL has no path)",
        path=add_when_bare("/v1"),
    ),
)
