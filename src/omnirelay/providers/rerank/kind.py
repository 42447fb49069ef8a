"""The ``jina`` and ``cohere`` channel types: rerank only; the version is part of the dialect's path."""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind, ProviderFactory
from omnirelay.providers.rerank.adapter import RerankAPIProvider
from omnirelay.providers.rerank.cohere import COHERE
from omnirelay.providers.rerank.jina import JINA
from omnirelay.providers.rerank.wire import RerankDialect
from omnirelay.settings import Settings

__all__ = ["COHERE_KIND", "JINA_KIND"]


def _factory(dialect: RerankDialect) -> ProviderFactory:
    def build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
        relay = settings.relay
        return RerankAPIProvider(
            session,
            dialect,
            connect_timeout_s=relay.connect_timeout_s,
            read_timeout_s=relay.read_timeout_s,
            max_request_s=relay.max_request_s,
        )

    return build


def _rerank_only(model: str) -> str:
    return "rerank"


JINA_KIND = ChannelKind(
    name="jina",
    build=_factory(JINA),
    base_url=BaseURLRule(
        expects="the host without a version, e.g. https://api.jina.ai (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    purpose=_rerank_only,
    test_preference=("rerank",),
)

COHERE_KIND = ChannelKind(
    name="cohere",
    build=_factory(COHERE),
    base_url=BaseURLRule(
        expects="the host without a version, e.g. https://api.cohere.com (a trailing /v1 or /v2 is removed)",
        path=strip_suffixes("/v1", "/v2"),
    ),
    purpose=_rerank_only,
    test_preference=("rerank",),
)
