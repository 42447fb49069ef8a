"""Channel base URLs (one form per type, both spellings accepted) and the channel *test* action."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import openai
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import USER_KEY, Gateway, Upstream, funded, per_token, sqlite_only
from omnirelay.testing import (
    FakeAnthropic,
    FakeAnthropicKnobs,
    FakeMidjourney,
    FakeMidjourneyKnobs,
    FakeRerank,
    FakeRerankKnobs,
    serve_in_thread,
)

QUERY = {"query": "What do cats eat?", "documents": ["Stocks fell.", "Cats eat fish."]}


def serve_rerank(stack: ExitStack, dialect: str) -> tuple[FakeRerank, str]:
    fake = FakeRerank(FakeRerankKnobs(api_key="sk-rr"), dialect=dialect)  # type: ignore[arg-type]
    return fake, stack.enter_context(serve_in_thread(fake.app))


def serve_anthropic(stack: ExitStack) -> tuple[FakeAnthropic, str]:
    fake = FakeAnthropic(FakeAnthropicKnobs(api_key="sk-ant"))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def serve_midjourney(stack: ExitStack) -> tuple[FakeMidjourney, str]:
    fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret"))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def make_channel(gateway: Gateway, **fields: Any) -> dict[str, Any]:
    fields.setdefault("secrets", ["sk-upstream"])
    return dict(gateway.admin_json("POST", "/api/admin/channels", json=fields))


def chat(gateway: Gateway, model: str) -> str:
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    reply = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    return reply.choices[0].message.content or ""


def rerank(gateway: Gateway, path: str, model: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    return httpx.post(gateway.url + path, json={"model": model, **QUERY}, headers=headers, timeout=30)


def channel_test(gateway: Gateway, channel_id: int, **params: str) -> dict[str, Any]:
    return dict(gateway.admin_json("POST", f"/api/admin/channels/{channel_id}/test", params=params))


def test_both_base_url_spellings_are_stored_in_one_form_and_reach_the_upstream(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    upstream = make_upstream()
    _, jina_url = serve_rerank(stack, "jina")
    _, cohere_url = serve_rerank(stack, "cohere")
    _, anthropic_url = serve_anthropic(stack)
    models = ["gpt-bare", "gpt-v1", "rerank-j", "rerank-c", "claude-test", "gpt-declared"]
    declared = {"name": "declared", "base_url": upstream.url + "/", "models": ["gpt-declared"]}
    gateway = make_gateway(**funded(), prices=[per_token(m) for m in models], channels=[declared])
    made = [
        make_channel(gateway, name="bare", base_url=upstream.url, models=["gpt-bare"]),
        make_channel(gateway, name="v1", base_url=upstream.url + "/v1/", models=["gpt-v1"]),
        make_channel(gateway, name="j", type="jina", base_url=jina_url + "/v1", models=["rerank-j"], secrets=["sk-rr"]),
        make_channel(
            gateway, name="c", type="cohere", base_url=cohere_url + "/v2/", models=["rerank-c"], secrets=["sk-rr"]
        ),
        make_channel(
            gateway,
            name="a",
            type="anthropic",
            base_url=anthropic_url + "/v1",
            models=["claude-test"],
            secrets=["sk-ant"],
        ),
    ]
    assert [c["base_url"] for c in made] == [
        upstream.url + "/v1",
        upstream.url + "/v1",
        jina_url,
        cohere_url,
        anthropic_url,
    ]
    assert chat(gateway, "gpt-bare") and chat(gateway, "gpt-v1") and chat(gateway, "claude-test")
    assert chat(gateway, "gpt-declared"), "a channel from the settings file is normalised the same way"
    assert rerank(gateway, "/v1/rerank", "rerank-j").json()["results"][0]["index"] == 1
    assert rerank(gateway, "/v2/rerank", "rerank-c").json()["results"][0]["index"] == 1
    moved = gateway.admin_json("PATCH", f"/api/admin/channels/{made[2]['id']}", json={"base_url": jina_url + "/"})
    assert moved["base_url"] == jina_url


@sqlite_only
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"base_url": "api.openai.com/v1"}, "openai channels take the API root, e.g. https://api.openai.com/v1"),
        ({"base_url": "ftp://example.com"}, "must start with http:// or https://"),
        ({"base_url": "https:///v1"}, "it has no host"),
        ({"base_url": "https://example.com/v1?key=1"}, "must not have a query"),
        ({"base_url": "https://example.com/v1#x"}, "must not have a fragment"),
        ({"type": "jina", "base_url": "local://builtin"}, "jina channels take the host without a version"),
        ({"type": "local", "base_url": "https://example.com"}, "local channels take local://builtin"),
    ],
)
def test_an_unusable_base_url_is_refused_naming_the_field_and_the_form(
    make_gateway: Callable[..., Gateway], fields: dict[str, str], expected: str
) -> None:
    gateway = make_gateway()
    body = {"name": "bad", "models": ["m"], **fields}
    response = gateway.admin.post("/api/admin/channels", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == "base_url" and expected in error["message"], error
    assert "bad" not in str(gateway.admin_json("GET", "/api/admin/channels"))


@sqlite_only
@pytest.mark.parametrize(
    ("field", "value"), [("priority", 2**40), ("priority", -(2**40)), ("weight", 2**31), ("weight", -1)]
)
def test_routing_numbers_outside_the_stored_range_are_refused_naming_the_field(
    make_gateway: Callable[..., Gateway], field: str, value: int
) -> None:
    gateway = make_gateway()
    body = {"name": "wide", "base_url": "https://example.com/v1", "models": ["m"], field: value}
    response = gateway.admin.post("/api/admin/channels", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == field
    assert "wide" not in str(gateway.admin_json("GET", "/api/admin/channels"))


@sqlite_only
def test_a_settings_file_channel_with_an_unusable_url_stops_the_start(
    make_gateway: Callable[..., Gateway], capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RuntimeError, match="did not start"):
        make_gateway(channels=[{"name": "typo", "base_url": "htps://api.openai.com/v1", "models": ["m"]}])
    assert "[[channels]] name = 'typo': base_url 'htps://api.openai.com/v1' cannot be used" in capfd.readouterr().err


@sqlite_only
def test_a_change_of_type_or_url_is_checked_against_the_stored_other_half(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway()
    made = make_channel(gateway, name="up", base_url=upstream.url + "/v1", models=["m"])
    for change in ({"type": "local"}, {"base_url": "not a url"}):
        response = gateway.admin.patch(f"/api/admin/channels/{made['id']}", json=change)
        assert response.status_code == 400 and response.json()["error"]["param"] == "base_url", response.text
    moved = gateway.admin_json("PATCH", f"/api/admin/channels/{made['id']}", json={"type": "jina"})
    assert moved["base_url"] == upstream.url, "the stored /v1 is dropped for a jina channel"


def _store_raw_base_url(url: str, name: str, raw: str) -> None:
    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    sa.text("UPDATE channels SET base_url = :raw WHERE name = :name"), {"raw": raw, "name": name}
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_rows_stored_before_normalisation_work_after_a_restart(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    first = make_gateway(**funded(), prices=[per_token()])
    make_channel(first, name="old", base_url=upstream.url + "/v1", models=["gpt-test"])
    _store_raw_base_url(first.settings.effective_database_url, "old", upstream.url + "/")  # as an old version kept it
    second = make_gateway(**funded(), prices=[per_token()])
    assert chat(second, "gpt-test")
    assert upstream.chat_requests()[-1].path == "/v1/chat/completions"


def test_the_test_action_calls_a_chat_model_not_the_first_name(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded())
    models = ["dall-e-2", "gpt-x", "text-embedding-3-small", "tts-1", "whisper-1"]
    made = make_channel(gateway, name="oa", base_url=upstream.url + "/v1", models=models)
    tested = channel_test(gateway, made["id"])
    assert tested["ok"] is True and (tested["model"], tested["endpoint"]) == ("gpt-x", "chat"), tested
    assert isinstance(tested["latency_ms"], int)
    assert [r.path for r in upstream.fake.requests] == ["/v1/chat/completions"]
    assert upstream.fake.requests[0].json["model"] == "gpt-x"
    assert gateway.logs() == [], "a test is not a billed call"


def test_the_operator_chooses_the_model_and_the_endpoint(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway()
    made = make_channel(gateway, name="oa", base_url=upstream.url, models=["gpt-x", "text-embedding-3-small"])
    embedded = channel_test(gateway, made["id"], model="text-embedding-3-small")
    assert (embedded["ok"], embedded["endpoint"]) == (True, "embeddings"), embedded
    listed = gateway.admin_json("POST", f"/api/admin/channels/{made['id']}/test", json={"endpoint": "models"})
    assert (listed["ok"], listed["endpoint"], listed["model"]) == (True, "models", None), listed
    forced = channel_test(gateway, made["id"], model="gpt-x", endpoint="embeddings")
    assert forced["ok"] is True and upstream.fake.requests[-1].json["model"] == "gpt-x"
    assert [r.path for r in upstream.fake.requests] == ["/v1/embeddings", "/v1/models", "/v1/embeddings"]
    for params, param in (({"endpoint": "images"}, "endpoint"), ({"model": "dall-e-3"}, "endpoint")):
        response = gateway.admin.post(f"/api/admin/channels/{made['id']}/test", params=params)
        assert response.status_code == 400 and response.json()["error"]["param"] == param, response.text


def test_a_failing_channel_reports_the_error_without_billing(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(status=500, error_message="upstream on fire")
    gateway = make_gateway()
    made = make_channel(gateway, name="oa", base_url=upstream.url + "/v1", models=["gpt-x"])
    tested = channel_test(gateway, made["id"])
    assert tested["ok"] is False and tested["status"] >= 500 and "upstream on fire" in tested["error"], tested
    assert "latency_ms" not in tested


@pytest.mark.parametrize(("kind", "base_url"), [("bfl", "http://127.0.0.1:9"), ("kling", "http://127.0.0.1:9")])
def test_a_task_channel_other_than_midjourney_is_not_passed_by_a_lookup_that_hides_a_wrong_key(
    make_gateway: Callable[..., Gateway], kind: str, base_url: str
) -> None:
    gateway = make_gateway()
    made = make_channel(gateway, name="t", type=kind, base_url=base_url, models=["some-model"], secrets=["a|b"])
    response = gateway.admin.post(f"/api/admin/channels/{made['id']}/test")
    error = response.json()["error"]
    assert response.status_code == 400 and error["param"] == "endpoint", response.text
    assert f"A {kind} channel cannot be tested" in error["message"], error


def test_every_channel_type_can_pass_its_test(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    jina, jina_url = serve_rerank(stack, "jina")
    _, cohere_url = serve_rerank(stack, "cohere")
    anthropic, anthropic_url = serve_anthropic(stack)
    midjourney, mj_url = serve_midjourney(stack)
    gateway = make_gateway()
    made = {
        "jina": make_channel(
            gateway, name="j", type="jina", base_url=jina_url, models=["jina-colbert-v2"], secrets=["sk-rr"]
        ),
        "cohere": make_channel(
            gateway, name="c", type="cohere", base_url=cohere_url, models=["rerank-v3.5"], secrets=["sk-rr"]
        ),
        "anthropic": make_channel(
            gateway, name="a", type="anthropic", base_url=anthropic_url, models=["claude-test"], secrets=["sk-ant"]
        ),
        "midjourney": make_channel(
            gateway, name="mj", type="midjourney", base_url=mj_url + "/mj", models=["mj_imagine"], secrets=["mj-secret"]
        ),
    }
    expected = {"jina": "rerank", "cohere": "rerank", "anthropic": "chat", "midjourney": "midjourney"}
    for kind, channel in made.items():
        tested = channel_test(gateway, channel["id"])
        assert tested["ok"] is True and tested["endpoint"] == expected[kind], (kind, tested)
    assert jina.requests[-1].path == "/v1/rerank" and anthropic.requests[-1].path == "/v1/messages"
    assert midjourney.requests[-1].path == "/mj/task/list-by-condition"
    local = next(c for c in gateway.admin_json("GET", "/api/admin/channels")["data"] if c["name"] == "local")
    tested = channel_test(gateway, local["id"])
    assert (tested["ok"], tested["endpoint"], tested["model"]) == (True, "embeddings", "all-minilm-l6-v2"), tested
    wrong = gateway.admin_json("PATCH", f"/api/admin/channels/{made['midjourney']['id']}", json={"secrets": ["nope"]})
    assert channel_test(gateway, wrong["id"])["ok"] is False
