"""``POST /v1/rerank`` (Jina's shape: Dify, LangChain, Cohere v1 clients) and ``POST /v2/rerank`` (Cohere v2).

The ``/v1`` answer is Jina's, plus Cohere v1's ``id`` and ``meta``, so either kind of client
reads it. Errors use the OpenAI shape, like every other endpoint of this family.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from omnirelay.api.openai.intake import Intake, intake
from omnirelay.relay.rerank import Ranking, RerankQuery, parse_rerank_body

__all__ = ["cohere_answer", "jina_answer", "rerank_v1", "rerank_v2"]


def _results(query: RerankQuery, ranking: Ranking, with_documents: bool) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for index, score in ranking.hits:
        result: dict[str, Any] = {"index": index, "relevance_score": score}
        if with_documents:
            result["document"] = query.documents[index]
        results.append(result)
    return results


def _meta(version: str, ranking: Ranking) -> dict[str, Any]:
    return {"api_version": {"version": version}, "billed_units": {"search_units": ranking.search_units}}


def jina_answer(query: RerankQuery, ranking: Ranking, request_id: str) -> dict[str, Any]:
    """Documents are returned unless ``return_documents`` is false (Jina's default)."""
    tokens = ranking.usage.prompt_tokens
    return {
        "id": request_id,
        "model": query.model,
        "results": _results(query, ranking, query.return_documents is not False),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        "meta": _meta("1", ranking),
    }


def cohere_answer(query: RerankQuery, ranking: Ranking, request_id: str) -> dict[str, Any]:
    """Documents are returned only when ``return_documents`` is true (Cohere's default)."""
    return {
        "id": request_id,
        "results": _results(query, ranking, query.return_documents is True),
        "meta": _meta("2", ranking),
    }


async def _ranked(call: Intake) -> tuple[RerankQuery, Ranking]:
    query = parse_rerank_body(call.body)
    relay = call.runtime.rerank
    job = await relay.begin(call.caller, query, call.size, call.request_id)
    return query, await relay.rerank(job, query)


def _json(answer: dict[str, Any], request_id: str) -> Response:
    return Response(orjson.dumps(answer), media_type="application/json", headers={"x-request-id": request_id})


async def rerank_v1(request: Request) -> Response:
    call = await intake(request)
    query, ranking = await _ranked(call)
    return _json(jina_answer(query, ranking, call.request_id), call.request_id)


async def rerank_v2(request: Request) -> Response:
    call = await intake(request)
    query, ranking = await _ranked(call)
    return _json(cohere_answer(query, ranking, call.request_id), call.request_id)
