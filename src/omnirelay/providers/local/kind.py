"""The ``local`` channel type: the built-in offline models, reached at ``local://builtin``."""

from __future__ import annotations

import aiohttp

from omnirelay.channels.base_url import BaseURLRule
from omnirelay.outbound.fetch import OutboundClient
from omnirelay.providers.kind import ChannelKind
from omnirelay.providers.local.adapter import LOCAL_EMBEDDING_MODEL, LocalProvider
from omnirelay.providers.local.chat import CHAT_MODELS, chat_missing
from omnirelay.providers.local.midjourney import LOCAL_MJ_MODELS
from omnirelay.providers.local.rerank import LOCAL_RERANK_MODEL
from omnirelay.providers.local.speech import SPEECH_MODELS
from omnirelay.settings import Settings

__all__ = ["LOCAL"]


def _build(session: aiohttp.ClientSession, settings: Settings, links: OutboundClient) -> object:
    return LocalProvider(settings.local)


def _purpose(model: str) -> str | None:
    if model == LOCAL_EMBEDDING_MODEL:
        return "embeddings"
    if model == LOCAL_RERANK_MODEL:
        return "rerank"
    if model in CHAT_MODELS:
        return "unavailable" if chat_missing(model) else "chat"
    if model in SPEECH_MODELS:
        return "audio"
    if model in LOCAL_MJ_MODELS:
        return "image"
    return "unavailable"


LOCAL = ChannelKind(
    name="local",
    build=_build,
    base_url=BaseURLRule(expects="local://builtin", path=lambda path: path, schemes=("local",)),
    purpose=_purpose,
    test_preference=("embeddings", "rerank", "chat"),
)
"""Embeddings first in a test: the cheapest proof that the offline runtime works."""
