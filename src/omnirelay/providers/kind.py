"""A channel type as its provider package declares it: how to build the provider, which base URL
it takes, and what its models are for (the channel *test* action picks a model and an endpoint by it).

Each provider package defines its kind(s) in ``kind.py``; ``registry.py`` only lists them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aiohttp

from omnirelay.channels.base_url import BaseURLRule
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.settings import Settings

__all__ = ["TEST_ENDPOINTS", "ChannelKind", "Purpose"]

ProviderFactory = Callable[[aiohttp.ClientSession, Settings, OutboundClient], object]
"""Builds a channel type's provider from the shared HTTP session (for calls to the channel), the
outbound guard (for links the upstream answers with) and the settings it needs."""

Purpose = Callable[[str], str | None]
"""A model name -> what it is for: ``chat``, ``embeddings``, ``rerank``, ``image``, ``audio``,
``midjourney``, ``unavailable`` (known, but not runnable here); None: guess from the name."""

TEST_ENDPOINTS = ("chat", "embeddings", "rerank", "models", "midjourney")
"""What the test action can send: one call each, none that generates billable work upstream
beyond a token (``models`` lists the upstream's models; ``midjourney`` looks up a task id that
does not exist)."""


def _no_opinion(model: str) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class ChannelKind:
    name: str
    build: ProviderFactory
    base_url: BaseURLRule
    purpose: Purpose = _no_opinion
    test_preference: tuple[str, ...] = ("chat", "embeddings", "rerank")
    """Endpoints the test action tries to find a model for, in this order."""
