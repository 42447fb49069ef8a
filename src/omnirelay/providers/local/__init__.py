"""The built-in ``local`` provider: real results offline, from weights shipped inside packages."""

from omnirelay.providers.local.adapter import LOCAL_EMBEDDING_MODEL, LocalProvider

__all__ = ["LOCAL_EMBEDDING_MODEL", "LocalProvider"]
