"""``/v1/rerank`` (Jina shape) and ``/v2/rerank`` (Cohere v2) through jina, cohere and openai channels."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, sqlite_only
from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.base import Usage
from omnirelay.providers.rerank import COHERE, JINA
from omnirelay.providers.rerank.errors import error_for_answer
from omnirelay.relay.tokens import TokenCounter
from omnirelay.testing import FakeRerank, FakeRerankKnobs, serve_in_thread

FIXTURES = Path(__file__).parent / "fixtures" / "rerank"
MODEL = "rerank-test"
PRICE = {"model": MODEL, "mode": "per_token", "input_per_million": 1_000_000}  # one micro-unit per token
QUERY = "What do cats eat?"
DOCS = ["The stock market fell today.", "Cats eat fish.", "Dogs chase cats.", "What do cats eat? Mostly fish."]
ORDER = [3, 1, 2, 0]  # word overlap with the query: 1, 1/2, 1/4, 0
WORDS = 4 + 5 + 3 + 3 + 6  # what the Jina fake reports as usage.total_tokens


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def counted(*texts: str) -> int:
    counter = TokenCounter()
    return sum(counter.count_text(t) for t in texts)


# ---------------------------------------------------------------- pure transforms


def test_neutral_request_becomes_each_dialect() -> None:
    case = fixture("neutral_request.json")
    assert JINA.request(case["neutral"]) == case["jina"]
    assert COHERE.request(case["neutral"]) == case["cohere"]
    assert "top_n" not in JINA.request({**case["neutral"], "top_n": None})


def test_answers_become_rankings_with_usage() -> None:
    jina = JINA.result(fixture("jina_response.json"))
    assert jina.ranked[0][0] == 0 and [i for i, _ in jina.ranked] == [0, 2, 1], "ties go to the lower index"
    assert jina.usage == Usage(38, 0)
    vllm = JINA.result(fixture("vllm_response.json"))
    assert [i for i, _ in vllm.ranked] == [1, 0] and vllm.usage == Usage(56, 0)
    cohere = COHERE.result(fixture("cohere_response.json"))
    assert [i for i, _ in cohere.ranked] == [3, 4, 0]
    assert (cohere.usage, cohere.search_units) == (None, 1)


def test_malformed_answers_and_error_bodies_are_translated() -> None:
    with pytest.raises(ValueError, match="results"):
        COHERE.result({"meta": {}})
    with pytest.raises(ValueError, match="index"):
        JINA.result({"results": [{"relevance_score": 0.5}]})
    rejected = error_for_answer(400, (FIXTURES / "cohere_error.json").read_bytes(), "http://up")
    assert isinstance(rejected, UpstreamRejected) and rejected.status_code == 400
    assert rejected.message == "invalid request: list of documents must not be empty"
    assert error_for_answer(422, (FIXTURES / "jina_error.json").read_bytes(), "http://up").message == "field required"
    assert isinstance(error_for_answer(401, b'{"detail": "bad key"}', "http://up"), UpstreamAuthFailed)
    assert error_for_answer(500, b"oops", "http://up").retryable
    assert isinstance(error_for_answer(503, b'{"message": "busy"}', "http://up"), UpstreamError)


# ---------------------------------------------------------------- through the gateway


def serve(stack: ExitStack, dialect: str, **knobs: Any) -> tuple[FakeRerank, str]:
    fake = FakeRerank(FakeRerankKnobs(**knobs), dialect=dialect)  # type: ignore[arg-type]
    return fake, stack.enter_context(serve_in_thread(fake.app))


def rerank_channel(name: str, type_: str, base_url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "base_url": base_url, "secrets": [f"sk-{name}"], "models": [MODEL], **extra}


def post(gateway: Gateway, path: str, body: Any) -> httpx.Response:
    return httpx.post(gateway.url + path, json=body, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30)


def ok(gateway: Gateway, path: str, body: Any) -> dict[str, Any]:
    response = post(gateway, path, body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert response.headers["x-request-id"] == answer["id"]
    return answer


@pytest.fixture
def jina(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> tuple[Gateway, FakeRerank]:
    fake, url = serve(stack, "jina", api_key="sk-jina")
    extra = {"model_map": {MODEL: "jina-reranker-v2-base-multilingual"}}
    gateway = make_gateway(**funded(), channels=[rerank_channel("jina", "jina", url, **extra)], prices=[PRICE])
    return gateway, fake


@pytest.fixture
def cohere(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> tuple[Gateway, FakeRerank]:
    fake, url = serve(stack, "cohere", api_key="sk-cohere")
    gateway = make_gateway(**funded(), channels=[rerank_channel("cohere", "cohere", url)], prices=[PRICE])
    return gateway, fake


def test_jina_shape_through_a_jina_channel(jina: tuple[Gateway, FakeRerank]) -> None:
    gateway, fake = jina
    answer = ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS})
    assert answer["model"] == MODEL
    assert [r["index"] for r in answer["results"]] == ORDER
    assert answer["results"][0] == {"index": 3, "relevance_score": 1.0, "document": {"text": DOCS[3]}}
    assert answer["usage"] == {"prompt_tokens": WORDS, "total_tokens": WORDS}
    sent = fake.requests[-1]
    assert (sent.path, sent.headers["authorization"]) == ("/v1/rerank", "Bearer sk-jina")
    assert sent.json == {
        "model": "jina-reranker-v2-base-multilingual",
        "query": QUERY,
        "documents": DOCS,
        "return_documents": False,
    }
    log = gateway.logs()[0]
    assert (log["endpoint"], log["model"], log["prompt_tokens"], log["cost"]) == ("rerank", MODEL, WORDS, WORDS)


def test_cohere_shape_through_a_cohere_channel(cohere: tuple[Gateway, FakeRerank]) -> None:
    gateway, fake = cohere
    body = {"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 2, "max_tokens_per_doc": 512}
    answer = ok(gateway, "/v2/rerank", body)
    assert answer["results"] == [{"index": 3, "relevance_score": 1.0}, {"index": 1, "relevance_score": 0.5}]
    assert answer["meta"] == {"api_version": {"version": "2"}, "billed_units": {"search_units": 1}}
    sent = fake.requests[-1]
    assert (sent.path, sent.headers["authorization"]) == ("/v2/rerank", "Bearer sk-cohere")
    assert sent.json == {"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 2, "max_tokens_per_doc": 512}
    tokens = counted(QUERY, *DOCS)  # Cohere bills search units, so the gateway counts the tokens itself
    assert gateway.logs()[0]["prompt_tokens"] == tokens
    with_docs = ok(gateway, "/v2/rerank", {**body, "return_documents": True})
    assert with_docs["results"][1]["document"] == {"text": DOCS[1]}


def test_v1_rerank_through_an_openai_channel(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    fake, url = serve(stack, "jina")
    gateway = make_gateway(**funded(), channels=[rerank_channel("vllm", "openai", url + "/v1")], prices=[PRICE])
    answer = ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 3})
    assert [r["index"] for r in answer["results"]] == ORDER[:3]
    assert fake.requests[-1].path == "/v1/rerank"
    assert answer["usage"]["prompt_tokens"] == WORDS


def test_jina_shaped_client_in_front_of_a_cohere_upstream(cohere: tuple[Gateway, FakeRerank]) -> None:
    gateway, fake = cohere
    documents = [{"text": d} for d in DOCS]
    answer = ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": documents, "top_n": 3})
    assert [r["index"] for r in answer["results"]] == ORDER[:3]
    assert [r["document"] for r in answer["results"]] == [documents[i] for i in ORDER[:3]]
    tokens = counted(QUERY, *DOCS)
    assert answer["usage"] == {"prompt_tokens": tokens, "total_tokens": tokens}
    assert answer["meta"]["billed_units"] == {"search_units": 1}
    assert fake.requests[-1].json["documents"] == DOCS, "the upstream is sent plain strings"


def test_top_n_and_return_documents(jina: tuple[Gateway, FakeRerank]) -> None:
    gateway, fake = jina
    one = ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 1})
    assert [r["index"] for r in one["results"]] == [3]
    many = ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 50})
    assert [r["index"] for r in many["results"]] == ORDER
    assert fake.requests[-1].json["top_n"] == len(DOCS)
    bare = ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS, "return_documents": False})
    assert all("document" not in r for r in bare["results"])


def test_cohere_v1_bodies_with_rank_fields(jina: tuple[Gateway, FakeRerank]) -> None:
    gateway, fake = jina
    documents = [
        {"title": "Markets", "text": "Shares fell.", "id": "a"},
        {"title": "Pets", "text": "Cats eat fish.", "id": "b"},
    ]
    body = {"model": MODEL, "query": QUERY, "documents": documents, "rank_fields": ["title", "text"]}
    answer = ok(gateway, "/v1/rerank", body)
    assert answer["results"][0]["document"] == documents[1], "objects come back as they were sent"
    assert fake.requests[-1].json["documents"] == [
        "title: Markets\ntext: Shares fell.",
        "title: Pets\ntext: Cats eat fish.",
    ]


@sqlite_only
@pytest.mark.parametrize("path", ["/v1/rerank", "/v2/rerank"])
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": MODEL, "query": "", "documents": DOCS}, "query"),
        ({"model": MODEL, "query": "  ", "documents": DOCS}, "query"),
        ({"model": MODEL, "documents": DOCS}, "query"),
        ({"model": MODEL, "query": QUERY, "documents": []}, "documents"),
        ({"model": MODEL, "query": QUERY, "documents": "Cats eat fish."}, "documents"),
        ({"model": MODEL, "query": QUERY, "documents": [{"title": "no text"}]}, "documents"),
        ({"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": 0}, "top_n"),
        ({"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": "2"}, "top_n"),
        ({"model": MODEL, "query": QUERY, "documents": DOCS, "return_documents": "yes"}, "return_documents"),
        ({"query": QUERY, "documents": DOCS}, "model"),
    ],
)
def test_bad_requests_are_400(jina: tuple[Gateway, FakeRerank], path: str, body: dict[str, Any], param: str) -> None:
    gateway, fake = jina
    response = post(gateway, path, body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert param in error["message"] or param == "model"
    assert fake.requests == []


def test_every_call_is_billed_and_the_ledger_balances(jina: tuple[Gateway, FakeRerank]) -> None:
    gateway, _ = jina
    for top_n in (1, 2, None):
        ok(gateway, "/v1/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS, "top_n": top_n})
    ok(gateway, "/v2/rerank", {"model": MODEL, "query": QUERY, "documents": DOCS})
    logs = gateway.logs()
    assert [(log["status"], log["cost"]) for log in logs] == [(200, WORDS)] * 4
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 10**12 - 4 * WORDS
    assert_ledger_balanced(gateway)


def test_upstream_errors_fail_over_or_are_relayed(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> None:
    broken, broken_url = serve(stack, "jina", status=500)
    healthy, healthy_url = serve(stack, "cohere")
    gateway = make_gateway(
        **funded(),
        channels=[
            rerank_channel("broken", "jina", broken_url, priority=10),
            rerank_channel("healthy", "cohere", healthy_url),
        ],
        prices=[PRICE],
    )
    body = {"model": MODEL, "query": QUERY, "documents": DOCS}
    assert [r["index"] for r in ok(gateway, "/v1/rerank", body)["results"]] == ORDER
    assert len(broken.requests) == 1 and len(healthy.requests) == 1
    healthy.knobs.status, healthy.knobs.error_message = 400, "too many documents for this model"
    rejected = post(gateway, "/v1/rerank", body)
    assert rejected.status_code == 400
    assert rejected.json()["error"]["message"] == "too many documents for this model"
    healthy.knobs.status = 503
    failed = post(gateway, "/v2/rerank", body)
    assert failed.status_code == 502 and failed.json()["error"]["type"] == "upstream_error"
    logs = gateway.logs()
    assert [log["cost"] for log in logs if log["status"] != 200] == [0, 0]
    assert_ledger_balanced(gateway)
