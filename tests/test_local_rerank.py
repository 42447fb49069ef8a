"""The built-in ``local`` provider reranks with the MiniLM bi-encoder: no upstream, no network, free."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai

from conftest import USER_KEY, Gateway, forget_offered_models, funded
from offline import run_offline

MODEL = "minilm-l6-biencoder-rerank"
PASSAGES = [
    "Cats are carnivores; they eat meat such as fish, chicken and mice.",
    "The Eiffel Tower is in Paris and was completed in 1889.",
    "Python is a programming language popular for data science.",
    "Regular exercise strengthens the heart and improves mood.",
    "The stock market fell sharply after the interest rate announcement.",
]
QUERIES = [
    ("What do cats eat?", 0),
    ("Where is the Eiffel Tower?", 1),
    ("Which language is used for data analysis?", 2),
    ("How does working out help your health?", 3),
    ("Why did share prices drop?", 4),
]


def post(gateway: Gateway, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(gateway.url + path, json=body, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=60)


def test_relevant_passage_comes_first_for_free(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(balance=0))
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    assert {m.id: m.owned_by for m in client.models.list().data}[MODEL] == "local"
    for query, relevant in QUERIES:
        response = post(gateway, "/v1/rerank", {"model": MODEL, "query": query, "documents": PASSAGES})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert results[0]["index"] == relevant, (query, results)
        assert results[0]["document"] == {"text": PASSAGES[relevant]}
        scores = [r["relevance_score"] for r in results]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[1] + 0.2
    cohere = post(
        gateway, "/v2/rerank", {"model": MODEL, "query": "What do cats eat?", "documents": PASSAGES, "top_n": 1}
    )
    assert [r["index"] for r in cohere.json()["results"]] == [0]
    logs = gateway.logs()
    assert len(logs) == len(QUERIES) + 1
    assert all(log["cost"] == 0 and log["prompt_tokens"] > 0 for log in logs), "local models are free by default"


def test_local_rerank_refuses_the_embedding_model(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    response = post(gateway, "/v1/rerank", {"model": "all-minilm-l6-v2", "query": "cats", "documents": ["a cat"]})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "model" and MODEL in response.json()["error"]["message"]


def test_an_older_local_channel_gains_the_rerank_model(make_gateway: Callable[..., Gateway]) -> None:
    old = make_gateway(**funded())
    local = next(c for c in old.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "local")
    old.admin_json("PATCH", f"/api/admin/channels/{local['id']}", json={"models": ["all-minilm-l6-v2"]})
    old.admin.delete(f"/api/admin/prices/{MODEL}")
    forget_offered_models(old.settings.effective_database_url)
    restarted = make_gateway(**funded())  # the same store, as after an upgrade
    channel = restarted.admin_json("GET", f"/api/admin/channels/{local['id']}")
    assert channel["models"][0] == "all-minilm-l6-v2" and MODEL in channel["models"]
    prices = {p["model"]: p["mode"] for p in restarted.admin_json("GET", "/api/admin/prices")["data"]}
    assert prices[MODEL] == "free"


_OFFLINE_SCRIPT = """
import asyncio
from omnirelay.providers.base import UpstreamCall
from omnirelay.providers.local import LocalProvider
passages = {passages!r}
body = {{"model": {model!r}, "query": "What do cats eat?", "documents": passages}}
result = asyncio.run(LocalProvider().rerank(UpstreamCall("local://builtin", None, body)))
assert result.ranked[0][0] == 0, result.ranked
print("offline ok")
"""


def test_local_rerank_needs_no_network() -> None:
    done = run_offline(_OFFLINE_SCRIPT.format(passages=PASSAGES, model=MODEL), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "offline ok" in done.stdout
