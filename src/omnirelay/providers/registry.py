"""Channel type -> provider (the uvicorn pattern: short names, one place) and capability lookup.

A provider implements only the capability protocols it can (``providers/base.py``);
:func:`capable` answers "can this channel's provider do X?" so an endpoint a channel type
cannot serve is refused once, at routing time, instead of stubbed in every adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import aiohttp

from omnirelay.providers.anthropic import AnthropicProvider
from omnirelay.providers.local import LocalProvider
from omnirelay.providers.midjourney_proxy import MidjourneyProxyProvider
from omnirelay.providers.openai_compat import OpenAICompatProvider
from omnirelay.providers.rerank import COHERE, JINA, RerankAPIProvider, RerankDialect
from omnirelay.settings import RelaySettings

__all__ = ["CHANNEL_TYPES", "build_providers", "capable"]

CHANNEL_TYPES: tuple[str, ...] = ("openai", "local", "jina", "cohere", "anthropic", "midjourney")
P = TypeVar("P")
_Factory = Callable[[aiohttp.ClientSession, RelaySettings], object]


def _openai(session: aiohttp.ClientSession, relay: RelaySettings) -> object:
    return OpenAICompatProvider(
        session,
        connect_timeout_s=relay.connect_timeout_s,
        read_timeout_s=relay.read_timeout_s,
        max_request_s=relay.max_request_s,
    )


def _local(session: aiohttp.ClientSession, relay: RelaySettings) -> object:
    return LocalProvider()


def _anthropic(session: aiohttp.ClientSession, relay: RelaySettings) -> object:
    return AnthropicProvider(
        session,
        connect_timeout_s=relay.connect_timeout_s,
        read_timeout_s=relay.read_timeout_s,
        max_request_s=relay.max_request_s,
        default_max_tokens=relay.default_output_tokens,
    )


def _rerank_api(dialect: RerankDialect) -> _Factory:
    def build(session: aiohttp.ClientSession, relay: RelaySettings) -> object:
        return RerankAPIProvider(
            session,
            dialect,
            connect_timeout_s=relay.connect_timeout_s,
            read_timeout_s=relay.read_timeout_s,
            max_request_s=relay.max_request_s,
        )

    return build


def _midjourney(session: aiohttp.ClientSession, relay: RelaySettings) -> object:
    return MidjourneyProxyProvider(
        session, connect_timeout_s=relay.connect_timeout_s, read_timeout_s=relay.read_timeout_s
    )


_FACTORIES: dict[str, _Factory] = {
    "midjourney": _midjourney,
    "openai": _openai,
    "local": _local,
    "jina": _rerank_api(JINA),
    "cohere": _rerank_api(COHERE),
    "anthropic": _anthropic,
}


def build_providers(session: aiohttp.ClientSession, relay: RelaySettings) -> dict[str, object]:
    """One provider per channel type, all sharing one HTTP session."""
    return {name: factory(session, relay) for name, factory in _FACTORIES.items()}


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
