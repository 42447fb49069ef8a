"""The built-in ``local`` channel: the operator chooses its models, and it is a failover target
for a model routed elsewhere only when the operator asked for that."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import openai
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import USER_KEY, Gateway, Upstream, channel, funded
from omnirelay.db.tables import channels
from omnirelay.providers.local import LOCAL_MODELS

EMBEDDER = "all-minilm-l6-v2"


def local_channel(gateway: Gateway) -> dict[str, Any]:
    return next(c for c in gateway.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "local")


def embed(gateway: Gateway) -> list[float]:
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    return client.embeddings.create(model=EMBEDDER, input="a cat on a mat").data[0].embedding


def _set_offered(url: str, offered: list[str]) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(sa.update(channels).values(offered_models=offered))
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_a_model_removed_from_local_stays_removed_after_a_restart(make_gateway: Callable[..., Gateway]) -> None:
    first = make_gateway()
    local = local_channel(first)
    assert set(local["models"]) == set(LOCAL_MODELS) and local["last_resort"] is True
    changed = first.admin_json("PATCH", f"/api/admin/channels/{local['id']}", json={"remove_models": ["mj_describe"]})
    assert "mj_describe" not in changed["models"]
    first.admin_json("DELETE", "/api/admin/prices/mj_describe")
    second = make_gateway()
    assert "mj_describe" not in local_channel(second)["models"], "start-up put the removed model back"
    assert "mj_describe" not in {p["model"] for p in second.admin_json("GET", "/api/admin/prices")["data"]}


def test_a_model_new_in_this_version_is_added_once(make_gateway: Callable[..., Gateway]) -> None:
    first = make_gateway()
    local = local_channel(first)
    # the store as an older version left it: it never offered piper-joe
    first.admin_json("PATCH", f"/api/admin/channels/{local['id']}", json={"remove_models": ["piper-joe"]})
    older = sorted(m for m in LOCAL_MODELS if m != "piper-joe")
    _set_offered(first.settings.effective_database_url, older)
    assert "piper-joe" in local_channel(make_gateway())["models"], "a model this version brings is added"
    local = local_channel(make_gateway())
    make_gateway().admin_json("PATCH", f"/api/admin/channels/{local['id']}", json={"remove_models": ["piper-joe"]})
    assert "piper-joe" not in local_channel(make_gateway())["models"], "and only once"


def test_local_models_in_the_settings_decide_what_local_serves(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(local_models=[EMBEDDER, "minilm-l6-biencoder-rerank"])
    assert local_channel(gateway)["models"] == [EMBEDDER, "minilm-l6-biencoder-rerank"]
    again = make_gateway(local_models=[EMBEDDER])
    assert local_channel(again)["models"] == [EMBEDDER]


def test_a_model_local_cannot_serve_stops_the_start(
    make_gateway: Callable[..., Gateway], capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RuntimeError, match="did not start"):
        make_gateway(local_models=["gpt-4o"])
    assert "local_models: gpt-4o not local; the local models are all-minilm-l6-v2" in capfd.readouterr().err


def test_a_failing_upstream_does_not_fall_back_to_local_unless_asked(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(status=500, error_message="upstream on fire")
    gateway = make_gateway(**funded(), channels=[channel("paid", upstream, models=[EMBEDDER])])
    with pytest.raises(openai.InternalServerError, match="upstream on fire"):
        embed(gateway)
    local = local_channel(gateway)
    gateway.admin_json("PATCH", f"/api/admin/channels/{local['id']}", json={"last_resort": False})
    assert len(embed(gateway)) == 384, "the operator asked for the fallback"
    paid = next(c for c in gateway.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "paid")
    gateway.admin_json("PATCH", f"/api/admin/channels/{local['id']}", json={"last_resort": True})
    gateway.admin_json("PATCH", f"/api/admin/channels/{paid['id']}", json={"enabled": False})
    assert len(embed(gateway)) == 384, "with its other channel switched off, the model is local's again"


def test_local_fallback_in_the_settings(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(status=500)
    gateway = make_gateway(**funded(), channels=[channel("paid", upstream, models=[EMBEDDER])], local_fallback=True)
    assert local_channel(gateway)["last_resort"] is False
    assert len(embed(gateway)) == 384
    assert len(upstream.fake.requests) == 1, "the paid channel was tried first"
