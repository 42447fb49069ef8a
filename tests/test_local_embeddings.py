"""The built-in ``local`` provider: real embeddings on a fresh gateway, with no upstream and no network."""

from __future__ import annotations

import math
from collections.abc import Callable

import httpx
import openai

from conftest import USER_KEY, Gateway, funded
from offline import run_offline

MODEL = "all-minilm-l6-v2"


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_local_model_is_listed_free_and_embeds_meaningfully(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(balance=0))
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    owners = {m.id: m.owned_by for m in client.models.list().data}
    assert owners[MODEL] == "local" and set(owners.values()) == {"local"}, "only the built-in models"
    answer = client.embeddings.create(
        model=MODEL,
        input=["A man is eating food.", "Someone is having a meal.", "A cheetah chases prey across a field."],
    )
    vectors = [d.embedding for d in answer.data]
    assert len(vectors[0]) == 384
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2
    assert answer.usage.prompt_tokens > 0
    assert gateway.logs()[0]["cost"] == 0, "local models are free by default, so a zero balance suffices"


def test_local_model_refuses_what_it_cannot_do(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded())
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    tokens = httpx.post(gateway.url + "/v1/embeddings", json={"model": MODEL, "input": [[1, 2]]}, headers=headers)
    assert tokens.status_code == 400 and tokens.json()["error"]["param"] == "input"
    dims = httpx.post(
        gateway.url + "/v1/embeddings", json={"model": MODEL, "input": "x", "dimensions": 16}, headers=headers
    )
    assert dims.status_code == 400 and dims.json()["error"]["param"] == "dimensions"


_OFFLINE_SCRIPT = """
from omnirelay.providers.local.minilm import MiniLM
model = MiniLM()
texts = ["How do I reset my password?", "I forgot my password, how can I change it?", "Bananas are yellow."]
a, b, c = model.embed(texts)
dot = lambda x, y: sum(i * j for i, j in zip(x, y))
assert dot(a, b) > dot(a, c) + 0.2, (dot(a, b), dot(a, c))
print("offline ok")
"""


def test_local_embeddings_need_no_network() -> None:
    done = run_offline(_OFFLINE_SCRIPT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "offline ok" in done.stdout
