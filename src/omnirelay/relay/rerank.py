"""Rerank end to end: read either client shape, check, reserve, route with failover, settle.

Both ``/v1/rerank`` (Jina's shape, which also covers Cohere v1 bodies) and ``/v2/rerank``
(Cohere v2) are read into one :class:`RerankQuery`. Every channel receives the same neutral
request (``providers/base.py``), the ranking comes back as ``(index, score)`` pairs, and the
API edge renders it in the shape the client asked in, with the documents the gateway kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from omnirelay.channels.model import Channel
from omnirelay.errors import InvalidRequest, UpstreamError
from omnirelay.providers.base import RerankProvider, RerankResult, Usage
from omnirelay.relay.auth import Caller
from omnirelay.relay.chat import upstream_call
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.relay.job import Job
from omnirelay.relay.tokens import TokenCounter

__all__ = ["MAX_DOCUMENTS", "Ranking", "RerankQuery", "RerankRelay", "parse_rerank_body", "search_units"]

MAX_DOCUMENTS = 1000
DOCUMENTS_PER_SEARCH_UNIT = 100
"""Cohere bills one search unit per query over up to 100 documents."""


@dataclass(frozen=True, slots=True)
class RerankQuery:
    model: str
    query: str
    texts: tuple[str, ...]
    """What is ranked: each document's text (Cohere v1 ``rank_fields`` joined as ``field: value`` lines)."""
    documents: tuple[dict[str, Any], ...]
    """What the answer returns as ``document``: ``{"text"}`` for a string, an object as it was sent."""
    top_n: int | None
    return_documents: bool | None
    """None: the default of the shape answered (Jina: true, Cohere: false)."""
    max_tokens_per_doc: int | None

    def neutral_body(self, upstream_model: str) -> dict[str, Any]:
        top_n = min(self.top_n, len(self.texts)) if self.top_n is not None else None
        return {
            "model": upstream_model,
            "query": self.query,
            "documents": list(self.texts),
            "top_n": top_n,
            "max_tokens_per_doc": self.max_tokens_per_doc,
        }


@dataclass(frozen=True, slots=True)
class Ranking:
    hits: tuple[tuple[int, float], ...]
    """``(index, relevance score)``, best first, cut at ``top_n``."""
    usage: Usage
    search_units: int


def search_units(documents: int) -> int:
    return max(1, -(-documents // DOCUMENTS_PER_SEARCH_UNIT))


def _positive_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"'{name}' must be an integer of at least 1.", param=name)
    return value


def _rank_fields(body: dict[str, Any]) -> list[str] | None:
    fields = body.get("rank_fields")
    if fields is None:
        return None
    if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f for f in fields):
        raise InvalidRequest("'rank_fields' must be a non-empty list of field names.", param="rank_fields")
    return fields


def _document(item: Any, position: int, fields: list[str] | None) -> tuple[str, dict[str, Any]]:
    if isinstance(item, str):
        return item, {"text": item}
    if isinstance(item, dict) and fields is not None:
        return "\n".join(f"{f}: {item[f]}" for f in fields if item.get(f) is not None), item
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        return item["text"], item
    raise InvalidRequest(
        f"documents[{position}] must be a string or an object with a 'text' string.", param="documents"
    )


def _documents(body: dict[str, Any]) -> tuple[tuple[str, ...], tuple[dict[str, Any], ...]]:
    items = body.get("documents")
    if not isinstance(items, list) or not items:
        raise InvalidRequest("'documents' must be a non-empty list of documents to rank.", param="documents")
    if len(items) > MAX_DOCUMENTS:
        raise InvalidRequest(f"'documents' may hold at most {MAX_DOCUMENTS} documents.", param="documents")
    fields = _rank_fields(body)
    pairs = [_document(item, i, fields) for i, item in enumerate(items)]
    return tuple(text for text, _ in pairs), tuple(document for _, document in pairs)


def parse_rerank_body(body: Any) -> RerankQuery:
    """The request, or a clear 400 naming the field at fault (Jina, Cohere v1 and v2 bodies alike)."""
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("You must provide a model parameter.", param="model")
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        raise InvalidRequest("'query' must be a non-empty string.", param="query")
    texts, documents = _documents(body)
    return_documents = body.get("return_documents")
    if return_documents is not None and not isinstance(return_documents, bool):
        raise InvalidRequest("'return_documents' must be true or false.", param="return_documents")
    return RerankQuery(
        model=model,
        query=query,
        texts=texts,
        documents=documents,
        top_n=_positive_int(body, "top_n"),
        return_documents=return_documents,
        max_tokens_per_doc=_positive_int(body, "max_tokens_per_doc"),
    )


def _checked(result: RerankResult, documents: int, channel: Channel) -> RerankResult:
    """The upstream's ranking with each document once; an index out of range is the upstream's fault."""
    seen: set[int] = set()
    ranked: list[tuple[int, float]] = []
    for index, score in result.ranked:
        if not 0 <= index < documents:
            raise UpstreamError(f"upstream {channel.base_url} ranked document {index} of {documents}")
        if index not in seen:
            seen.add(index)
            ranked.append((index, score))
    return RerankResult(tuple(ranked), result.usage, result.search_units)


class RerankRelay:
    def __init__(self, *, gate: Gate, tokens: TokenCounter) -> None:
        self._gate = gate
        self._tokens = tokens

    async def begin(self, caller: Caller, query: RerankQuery, body_size: int, request_id: str) -> Job:
        return await self._gate.open_job(caller, JobRequest("rerank", query.model, body_size, 0), request_id)

    async def rerank(self, job: Job, query: RerankQuery) -> Ranking:
        """Rank on the first channel that answers; settled before it returns."""

        async def attempt(provider: RerankProvider, channel: Channel) -> RerankResult:
            body = query.neutral_body(channel.upstream_model(job.model))
            return _checked(await provider.rerank(upstream_call(channel, body)), len(query.texts), channel)

        result = await self._gate.run(job, RerankProvider, attempt)
        usage = result.usage or Usage(self._count(query), 0)
        await job.succeed(usage)
        hits = result.ranked if query.top_n is None else result.ranked[: query.top_n]
        return Ranking(hits, usage, result.search_units or search_units(len(query.texts)))

    def _count(self, query: RerankQuery) -> int:
        return self._tokens.count_text(query.query) + sum(self._tokens.count_text(t) for t in query.texts)
