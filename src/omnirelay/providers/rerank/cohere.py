"""The Cohere v2 rerank dialect (``POST /v2/rerank``): billed in search units, not tokens.

Cohere reports ``meta.billed_units.search_units`` (one query over up to 100 documents) and,
sometimes, ``input_tokens``. The tokens become the call's usage when present; otherwise the
relay counts the query and documents itself, so a per-token price means the same on every
channel. The search units are kept for the Cohere-shaped answer to the client.
"""

from __future__ import annotations

from typing import Any

from omnirelay.providers.base import RerankResult, Usage
from omnirelay.providers.rerank.wire import JSONObject, RerankDialect, count, ranked_results

__all__ = ["COHERE", "cohere_request", "cohere_result"]


def cohere_request(body: JSONObject) -> JSONObject:
    """The neutral request in Cohere v2's shape (v2 has no ``return_documents``)."""
    wire: JSONObject = {"model": body["model"], "query": body["query"], "documents": body["documents"]}
    for optional in ("top_n", "max_tokens_per_doc"):
        if body.get(optional) is not None:
            wire[optional] = body[optional]
    return wire


def _billed(answer: JSONObject) -> dict[str, Any]:
    meta = answer.get("meta")
    billed = meta.get("billed_units") if isinstance(meta, dict) else None
    return billed if isinstance(billed, dict) else {}


def cohere_result(answer: JSONObject) -> RerankResult:
    billed = _billed(answer)
    tokens = count(billed.get("input_tokens"))
    return RerankResult(
        ranked=ranked_results(answer.get("results")),
        usage=Usage.checked(tokens, 0) if tokens else None,
        search_units=count(billed.get("search_units")),
    )


COHERE = RerankDialect(name="cohere", path="/v2/rerank", request=cohere_request, result=cohere_result)
