"""The ``replicate`` channel type: the Replicate API (``https://api.replicate.com``) or a gateway
that re-exposes it (e.g. ``https://gw.example/replicate``). A trailing ``/v1`` is removed: the
adapter adds it to every path.
"""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule, strip_suffixes
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.replicate.adapter import ReplicateProvider
from omnirelay.settings import Settings

__all__ = ["REPLICATE"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    relay = settings.relay
    return ReplicateProvider(session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s)


def _predictions(model: str) -> str:
    """No test endpoint runs a prediction (each one is billed upstream)."""
    return "unavailable"


REPLICATE = ChannelKind(
    name="replicate",
    build=_build,
    base_url=BaseURLRule(
        expects="the API's root, e.g. https://api.replicate.com (a trailing /v1 is removed)",
        path=strip_suffixes("/v1"),
    ),
    purpose=_predictions,
    test_preference=(),
)
