"""Channel type -> provider factory (the uvicorn pattern: short names, one place)."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from omnirelay.providers.base import ChatProvider
from omnirelay.providers.openai_compat import OpenAICompatProvider
from omnirelay.settings import RelaySettings

__all__ = ["CHANNEL_TYPES", "build_chat_providers"]

CHANNEL_TYPES: tuple[str, ...] = ("openai",)

_Factory = Callable[[aiohttp.ClientSession, RelaySettings], ChatProvider]


def _openai(session: aiohttp.ClientSession, relay: RelaySettings) -> ChatProvider:
    return OpenAICompatProvider(
        session,
        connect_timeout_s=relay.connect_timeout_s,
        read_timeout_s=relay.read_timeout_s,
        max_request_s=relay.max_request_s,
    )


_CHAT_FACTORIES: dict[str, _Factory] = {"openai": _openai}


def build_chat_providers(session: aiohttp.ClientSession, relay: RelaySettings) -> dict[str, ChatProvider]:
    """One chat provider per channel type that can chat, sharing one HTTP session."""
    return {name: factory(session, relay) for name, factory in _CHAT_FACTORIES.items()}
