"""Channel type -> its kind (provider, base URL rule; the uvicorn pattern: short names, one place)
and capability lookup.

A provider implements only the capability protocols it can (``providers/base.py``);
:func:`capable` answers "can this channel's provider do X?" so an endpoint a channel type
cannot serve is refused once, at routing time, instead of stubbed in every adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import aiohttp

from omnirelay.channels.base_url import normalise_base_url
from omnirelay.errors import InvalidRequest
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.anthropic.kind import ANTHROPIC
from omnirelay.providers.ark.kind import ARK
from omnirelay.providers.bfl.kind import BFL
from omnirelay.providers.gemini.kind import GEMINI
from omnirelay.providers.ideogram.kind import IDEOGRAM
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.kling.kind import KLING
from omnirelay.providers.local.kind import LOCAL
from omnirelay.providers.midjourney_proxy.kind import MIDJOURNEY
from omnirelay.providers.minimax.kind import MINIMAX
from omnirelay.providers.openai_compat.kind import OPENAI
from omnirelay.providers.recraft.kind import RECRAFT
from omnirelay.providers.replicate.kind import REPLICATE
from omnirelay.providers.rerank.kind import COHERE_KIND, JINA_KIND
from omnirelay.providers.suno.kind import SUNO
from omnirelay.providers.task_vendor.kind import TASK_VENDOR
from omnirelay.settings import Settings

__all__ = ["CHANNEL_TYPES", "KINDS", "build_providers", "capable", "checked_base_url", "stored_base_url"]

KINDS: dict[str, ChannelKind] = {
    k.name: k
    for k in (
        OPENAI,
        LOCAL,
        JINA_KIND,
        COHERE_KIND,
        ANTHROPIC,
        MIDJOURNEY,
        GEMINI,
        SUNO,
        REPLICATE,
        KLING,
        MINIMAX,
        BFL,
        ARK,
        TASK_VENDOR,
        IDEOGRAM,
        RECRAFT,
    )
}
"""Every channel type; each declares its provider, base URL rule and model purposes in its own package."""
CHANNEL_TYPES: tuple[str, ...] = tuple(KINDS)
P = TypeVar("P")


def build_providers(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> dict[str, object]:
    """One provider per channel type, all sharing one HTTP session and one outbound guard for the links
    upstreams answer with; each takes the settings it needs."""
    return {name: kind.build(session, settings, links) for name, kind in KINDS.items()}


def checked_base_url(channel_type: str, base_url: str) -> str:
    """The normalised base URL for a channel being created or changed; InvalidRequest if unusable."""
    kind = KINDS.get(channel_type)
    if kind is None:
        raise InvalidRequest(f"Unknown channel type {channel_type!r}; known: {', '.join(KINDS)}.", param="type")
    return normalise_base_url(channel_type, base_url, kind.base_url)


def stored_base_url(channel_type: str, base_url: str) -> str:
    """A stored base URL in today's form (rows written before normalisation); kept as is if unusable."""
    try:
        return checked_base_url(channel_type, base_url)
    except InvalidRequest:
        return base_url.rstrip("/")


_CAPABLE: dict[tuple[type, type], bool] = {}
"""isinstance() against a runtime-checkable Protocol inspects every method on each call; a
provider class's capabilities never change, so the answer is kept per (class, protocol)."""


def capable(providers: Mapping[str, object], channel_type: str, capability: type[P]) -> P | None:
    """The provider of ``channel_type`` if it implements ``capability``, else None."""
    provider = providers.get(channel_type)
    if provider is None:
        return None
    key = (type(provider), capability)
    found = _CAPABLE.get(key)
    if found is None:
        found = _CAPABLE[key] = isinstance(provider, capability)
    return provider if found else None  # type: ignore[return-value]
