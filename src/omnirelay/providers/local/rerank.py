"""Local reranking with the MiniLM embedder: a bi-encoder, not a cross-encoder.

No cross-encoder ships inside a package (they all download from a model hub), so the query
and each document are embedded separately and ranked by cosine similarity. On a small hand
check this put the relevant passage first for about two queries in three; the model id says
"biencoder" so nobody mistakes it for a cross-encoder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnirelay.errors import UpstreamRejected
from omnirelay.providers.base import RerankResult, UpstreamCall, Usage
from omnirelay.providers.local.workers import LocalWork

if TYPE_CHECKING:  # numpy and the model load on the first rerank, not with the gateway
    from omnirelay.providers.local.minilm import MiniLM

__all__ = ["LOCAL_RERANK_MODEL", "cosine_ranking", "rerank_with"]

LOCAL_RERANK_MODEL = "minilm-l6-biencoder-rerank"
_BATCH = 32
"""Texts per model run: one batch pads to its longest text, so a thousand at once would need ~0.4 GB."""


def cosine_ranking(query: list[float], documents: list[list[float]]) -> tuple[tuple[int, float], ...]:
    """``(index, cosine)`` best first; the vectors are L2-normalised, so the dot product is the cosine."""
    import numpy as np

    scores: list[float] = (np.asarray(documents, dtype=np.float32) @ np.asarray(query, dtype=np.float32)).tolist()
    return tuple(sorted(enumerate(scores), key=lambda pair: (-pair[1], pair[0])))


def _rank(model: MiniLM, texts: list[str]) -> RerankResult:
    """Blocking (run in a worker thread): embed in batches, rank, count tokens."""
    vectors: list[list[float]] = []
    for start in range(0, len(texts), _BATCH):
        vectors.extend(model.embed(texts[start : start + _BATCH]))
    return RerankResult(ranked=cosine_ranking(vectors[0], vectors[1:]), usage=Usage(model.count_tokens(texts), 0))


async def rerank_with(model: MiniLM, call: UpstreamCall, work: LocalWork) -> RerankResult:
    """Rank the neutral request's documents against its query (``top_n`` is applied by the relay)."""
    body = call.body
    if body.get("model") != LOCAL_RERANK_MODEL:
        raise UpstreamRejected(
            f"The local provider reranks with `{LOCAL_RERANK_MODEL}` only, not `{body.get('model')}`.",
            status_code=400,
            type="invalid_request_error",
            code="model_not_supported",
            param="model",
        )
    texts = [str(body["query"]), *(str(d) for d in body["documents"])]
    return await work.run(_rank, model, texts)
