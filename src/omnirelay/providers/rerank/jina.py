"""The Jina rerank dialect (``POST /v1/rerank``), also spoken by OpenAI-compatible servers at ``/rerank``.

vLLM, Xinference, new-api and other OpenAI-compatible rerank servers use Jina's request and
answer shapes, so the ``openai`` channel type reuses these transforms under its own path.
"""

from __future__ import annotations

from typing import Any

from omnirelay.providers.base import RerankResult, Usage
from omnirelay.providers.rerank.wire import JSONObject, RerankDialect, count, ranked_results

__all__ = ["JINA", "jina_request", "jina_result"]


def jina_request(body: JSONObject) -> JSONObject:
    """The neutral request in Jina's shape; documents are not asked back (the gateway has them)."""
    wire: JSONObject = {
        "model": body["model"],
        "query": body["query"],
        "documents": body["documents"],
        "return_documents": False,
    }
    if body.get("top_n") is not None:
        wire["top_n"] = body["top_n"]
    return wire


def _usage(usage: Any) -> Usage | None:
    """``prompt_tokens`` when positive (vLLM, new-api), else ``total_tokens`` (Jina)."""
    if not isinstance(usage, dict):
        return None
    tokens = count(usage.get("prompt_tokens")) or count(usage.get("total_tokens"))
    return Usage.checked(tokens, 0) if tokens is not None else None


def jina_result(answer: JSONObject) -> RerankResult:
    return RerankResult(ranked=ranked_results(answer.get("results")), usage=_usage(answer.get("usage")))


JINA = RerankDialect(name="jina", path="/v1/rerank", request=jina_request, result=jina_result)
