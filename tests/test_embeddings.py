"""``/v1/embeddings`` through the official SDK: shapes, formats, billing, failover, bad input."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, channel, funded, sqlite_only

EMBED_PRICE = {"model": "text-embedding-3-small", "mode": "per_token", "input_per_million": 20_000}


@pytest.fixture
def setup(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[channel("emb", upstream, models=["text-embedding-3-small"])],
        prices=[EMBED_PRICE],
    )
    return gateway, upstream


def client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)


def test_embeddings_float_and_dimensions_pass_through(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    answer = client(gateway).embeddings.create(
        model="text-embedding-3-small", input=["a cat sat", "on the mat"], dimensions=32, encoding_format="float"
    )
    assert [d.index for d in answer.data] == [0, 1]
    assert len(answer.data[0].embedding) == 32
    assert answer.usage.prompt_tokens == 6
    assert upstream.fake.requests[-1].json["dimensions"] == 32
    log = gateway.logs()[0]
    assert (log["endpoint"], log["prompt_tokens"], log["cost"]) == ("embeddings", 6, 1)


def test_base64_encoding_is_relayed_byte_for_byte(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    raw = httpx.post(
        gateway.url + "/v1/embeddings",
        json={"model": "text-embedding-3-small", "input": "hello", "encoding_format": "base64"},
        headers={"Authorization": f"Bearer {USER_KEY}"},
    ).json()
    packed = base64.b64decode(raw["data"][0]["embedding"])
    vector = struct.unpack(f"<{len(packed) // 4}f", packed)
    assert len(vector) == 64 and abs(sum(v * v for v in vector) - 1) < 1e-3
    floats = client(gateway).embeddings.create(model="text-embedding-3-small", input="hello")  # SDK asks base64
    assert floats.data[0].embedding == pytest.approx(list(vector), abs=1e-6)


def test_token_arrays_and_missing_usage_are_billed(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(include_usage=False)
    gateway = make_gateway(
        **funded(), channels=[channel("emb", upstream, models=["text-embedding-3-small"])], prices=[EMBED_PRICE]
    )
    client(gateway).embeddings.create(model="text-embedding-3-small", input=[[1, 2, 3], [4, 5]])
    assert gateway.logs()[0]["prompt_tokens"] == 5


def test_embeddings_fail_over_and_refund(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    broken, healthy = make_upstream(status=500), make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[
            channel("a", broken, models=["text-embedding-3-small"], priority=10),
            channel("b", healthy, models=["text-embedding-3-small"]),
        ],
        prices=[EMBED_PRICE],
    )
    assert client(gateway).embeddings.create(model="text-embedding-3-small", input="x").data
    healthy.knobs.status = 503
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).embeddings.create(model="text-embedding-3-small", input="x")
    assert caught.value.status_code == 502
    assert gateway.logs()[0]["cost"] == 0


@sqlite_only
@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "text-embedding-3-small", "input": ""}, "input"),
        ({"model": "text-embedding-3-small", "input": []}, "input"),
        ({"model": "text-embedding-3-small", "input": [1, "a"]}, "input"),
        ({"model": "text-embedding-3-small", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"input": "x"}, "model"),
    ],
)
def test_bad_embeddings_requests_are_400(setup: tuple[Gateway, Upstream], body: dict[str, object], param: str) -> None:
    gateway, upstream = setup
    response = httpx.post(gateway.url + "/v1/embeddings", json=body, headers={"Authorization": f"Bearer {USER_KEY}"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param
    assert not [r for r in upstream.fake.requests if r.path == "/v1/embeddings"]
