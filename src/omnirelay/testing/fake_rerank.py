"""A fake rerank upstream in Jina's or Cohere's dialect, with the same failure knobs as the OpenAI fake.

Scores are deterministic: the share of the query's words that the document contains. So
tests know the order in advance ("What do cats eat?" puts "cats eat fish" first)::

    fake = FakeRerank(FakeRerankKnobs(), dialect="cohere")
    with serve_in_thread(fake.app) as url:
        ...  # a channel of type "cohere" with base_url=url; flip fake.knobs.status = 500 between calls

``jina`` serves ``POST /v1/rerank`` (also the path an ``openai`` channel with base ``url + "/v1"``
calls), answers ``usage.total_tokens`` (words) and errors as ``{"detail"}``; ``cohere`` serves
``POST /v2/rerank``, answers ``meta.billed_units.search_units`` and errors as ``{"message"}``.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing._recording import RecordedRequest, record_json

__all__ = ["FakeRerank", "FakeRerankKnobs", "overlap_score"]

Dialect = Literal["jina", "cohere"]
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class FakeRerankKnobs:
    latency_s: float = 0.0
    status: int | None = None
    error_message: str = "fake upstream error"
    fail_times: int | None = None
    api_key: str | None = None
    include_usage: bool = True


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def overlap_score(query: str, document: str) -> float:
    """The share of the query's distinct words found in the document, 0 to 1."""
    wanted = set(_words(query))
    return round(len(wanted & set(_words(document))) / len(wanted), 6) if wanted else 0.0


def _text(document: Any) -> str:
    return str(document.get("text", "")) if isinstance(document, dict) else str(document)


class FakeRerank:
    def __init__(self, knobs: FakeRerankKnobs | None = None, dialect: Dialect = "jina") -> None:
        self.knobs = knobs or FakeRerankKnobs()
        self.dialect: Dialect = dialect
        self.requests: list[RecordedRequest] = []
        path = "/v1/rerank" if dialect == "jina" else "/v2/rerank"
        self.app = Starlette(routes=[Route(path, self._rerank, methods=["POST"])])

    def _error(self, status: int, message: str) -> Response:
        body = {"detail": message} if self.dialect == "jina" else {"message": message}
        return Response(orjson.dumps(body), status_code=status, media_type="application/json")

    def _refusal(self, request: Request) -> Response | None:
        knobs = self.knobs
        if knobs.api_key is not None and request.headers.get("authorization") != f"Bearer {knobs.api_key}":
            return self._error(401, "invalid api token")
        if knobs.status is None:
            return None
        if knobs.fail_times is not None:
            if knobs.fail_times <= 0:
                return None
            knobs.fail_times -= 1
        return self._error(knobs.status, knobs.error_message)

    async def _record(self, request: Request) -> Any:
        return await record_json(request, self.requests)

    def _invalid(self, body: Any) -> str | None:
        if not isinstance(body, dict) or not body.get("model"):
            return "'model' is required"
        if not isinstance(body.get("query"), str) or not body["query"]:
            return "'query' must be a non-empty string"
        if not isinstance(body.get("documents"), list) or not body["documents"]:
            return "'documents' must be a non-empty list"
        top_n = body.get("top_n")
        if top_n is not None and (not isinstance(top_n, int) or top_n < 1):
            return "'top_n' must be a positive integer"
        return None

    async def _rerank(self, request: Request) -> Response:
        body = await self._record(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        problem = self._invalid(body)
        if problem is not None:
            return self._error(400, problem)
        if self.knobs.latency_s:
            await asyncio.sleep(self.knobs.latency_s)
        answer = self._jina(body) if self.dialect == "jina" else self._cohere(body)
        return Response(orjson.dumps(answer), media_type="application/json")

    def _ranked(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        texts = [_text(d) for d in body["documents"]]
        scored = sorted(enumerate(texts), key=lambda item: (-overlap_score(body["query"], item[1]), item[0]))
        results = [{"index": i, "relevance_score": overlap_score(body["query"], text)} for i, text in scored]
        return results[: body.get("top_n") or len(results)]

    def _jina(self, body: dict[str, Any]) -> dict[str, Any]:
        results = self._ranked(body)
        if body.get("return_documents", True):
            for result in results:
                result["document"] = {"text": _text(body["documents"][result["index"]])}
        answer: dict[str, Any] = {"model": body["model"], "results": results}
        if self.knobs.include_usage:
            words = len(_words(body["query"])) + sum(len(_words(_text(d))) for d in body["documents"])
            answer["usage"] = {"total_tokens": words}
        return answer

    def _cohere(self, body: dict[str, Any]) -> dict[str, Any]:
        units = -(-len(body["documents"]) // 100)
        meta: dict[str, Any] = {"api_version": {"version": "2"}}
        if self.knobs.include_usage:
            meta["billed_units"] = {"search_units": units}
        return {"id": str(uuid.uuid4()), "results": self._ranked(body), "meta": meta}
