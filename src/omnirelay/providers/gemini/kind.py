"""The ``gemini`` channel type: Google's Gemini API, its base URL being the API root without a version."""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.gemini.adapter import GeminiProvider
from omnirelay.providers.kind import ChannelKind
from omnirelay.settings import Settings

__all__ = ["GEMINI"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return GeminiProvider(
        session,
        links,
        connect_timeout_s=relay.connect_timeout_s,
        read_timeout_s=relay.read_timeout_s,
        max_request_s=relay.max_request_s,
    )


def _purpose(model: str) -> str:
    """Gemini's embedding models (``gemini-embedding-001``, ``text-embedding-004``) embed; the rest chat."""
    return "embeddings" if "embedding" in model.lower() else "chat"


GEMINI = ChannelKind(
    name="gemini",
    build=_build,
    base_url=BaseURLRule(
        expects="the API root, e.g. https://generativelanguage.googleapis.com (a trailing /v1beta or /v1 is removed)",
        path=strip_suffixes("/v1beta", "/v1"),
    ),
    purpose=_purpose,
    test_preference=("chat", "embeddings", "models"),
)
