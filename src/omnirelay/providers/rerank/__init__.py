"""Rerank-only upstreams: the ``jina`` and ``cohere`` channel types (and the dialects ``openai`` reuses)."""

from omnirelay.providers.rerank.adapter import RerankAPIProvider
from omnirelay.providers.rerank.cohere import COHERE
from omnirelay.providers.rerank.jina import JINA
from omnirelay.providers.rerank.wire import RerankDialect

__all__ = ["COHERE", "JINA", "RerankAPIProvider", "RerankDialect"]
