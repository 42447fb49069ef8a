"""The built-in ``local`` provider: real results offline, from weights shipped inside packages."""

from omnirelay.providers.local.adapter import LOCAL_EMBEDDING_MODEL, LocalProvider
from omnirelay.providers.local.chat import CHAT_MODELS, chat_missing
from omnirelay.providers.local.midjourney import LOCAL_MJ_MODELS
from omnirelay.providers.local.rerank import LOCAL_RERANK_MODEL
from omnirelay.providers.local.speech import SPEECH_MODELS, speech_missing

__all__ = [
    "LOCAL_EMBEDDING_MODEL",
    "LOCAL_MODELS",
    "LOCAL_RERANK_MODEL",
    "LocalProvider",
    "chat_missing",
    "speech_missing",
]

LOCAL_MODELS: tuple[str, ...] = (
    LOCAL_EMBEDDING_MODEL,
    LOCAL_RERANK_MODEL,
    *SPEECH_MODELS,
    *CHAT_MODELS,
    *LOCAL_MJ_MODELS,
)
"""Every model the built-in ``local`` channel serves; the bootstrap adds new ones to an existing channel."""
