"""The official ``openai`` SDK, unchanged, against a real gateway in front of a fake upstream."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token


@pytest.fixture
def setup(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[
            channel(
                "main",
                upstream,
                models=["gpt-test", "gpt-4o-mini", "public-name"],
                model_map={"public-name": "gpt-test"},
            )
        ],
        prices=[per_token(), per_token("gpt-4o-mini"), per_token("public-name")],
    )
    return gateway, upstream


def client(gateway: Gateway, key: str = USER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)


def test_model_list_shows_the_models_the_key_may_use(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(models=["gpt-test"]),
        channels=[channel("main", upstream, models=["gpt-test", "gpt-4o-mini"])],
        prices=[per_token(), per_token("gpt-4o-mini")],
    )
    models = client(gateway).models.list()
    assert [m.id for m in models.data] == ["gpt-test"]
    assert models.data[0].object == "model"
    assert client(gateway).models.retrieve("gpt-test").id == "gpt-test"
    with pytest.raises(openai.NotFoundError):
        client(gateway).models.retrieve("gpt-4o-mini")


def test_chat_completion_is_relayed_and_billed(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    answer = client(gateway).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "hello there"}]
    )
    assert answer.choices[0].message.content.startswith("Hello! You said: hello there")
    assert answer.usage is not None
    logs = gateway.logs()
    assert logs[0]["status"] == 200
    assert logs[0]["prompt_tokens"] == answer.usage.prompt_tokens
    assert logs[0]["completion_tokens"] == answer.usage.completion_tokens
    expected = -(-(answer.usage.prompt_tokens * 1_000_000 + answer.usage.completion_tokens * 2_000_000) // 1_000_000)
    assert logs[0]["cost"] == expected
    account = gateway.admin_json("GET", "/api/admin/accounts/1")
    assert account["balance"] == 10**12 - expected


def test_model_mapping_sends_the_upstream_name(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    client(gateway).chat.completions.create(model="public-name", messages=[{"role": "user", "content": "x"}])
    assert upstream.chat_requests()[-1].json["model"] == "gpt-test"


def test_streaming_chat_arrives_in_chunks(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    stream = client(gateway).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "one two three"}], stream=True
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Hello! You said: one two three")
    assert all(c.choices for c in chunks), "usage-only chunk must be stripped when the client did not ask"
    sent = upstream.chat_requests()[-1].json
    assert sent["stream_options"] == {"include_usage": True}
    log = gateway.logs()[0]
    assert log["stream"] is True and log["completion_tokens"] > 0 and log["cost"] > 0


def test_stream_usage_chunk_is_kept_when_asked(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    chunks = list(
        client(gateway).chat.completions.create(
            model="gpt-test",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].usage is not None and chunks[-1].choices == []


def test_stream_without_upstream_usage_is_counted_with_tiktoken(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(include_usage=False, reply="The quick brown fox jumps over the lazy dog")
    gateway = make_gateway(**funded(), channels=[channel("main", upstream)], prices=[per_token()])
    list(
        client(gateway).chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    log = gateway.logs()[0]
    assert log["completion_tokens"] == 9  # cl100k_base: nine words, nine tokens
    assert log["prompt_tokens"] > 0


def test_tool_calls_pass_through(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    tools: Any = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]
    answer = client(gateway).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "weather?"}], tools=tools
    )
    call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    assert call.function.name == "get_weather"  # type: ignore[union-attr]
    assert json.loads(call.function.arguments) == {"city": "test"}  # type: ignore[union-attr]
    assert upstream.chat_requests()[-1].json["tools"] == tools

    stream = client(gateway).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "weather?"}], tools=tools, stream=True
    )
    arguments = "".join(
        c.choices[0].delta.tool_calls[0].function.arguments or ""  # type: ignore[index, union-attr]
        for c in stream
        if c.choices and c.choices[0].delta.tool_calls
    )
    assert json.loads(arguments) == {"city": "test"}


def test_json_mode_and_image_parts_pass_through_unchanged(setup: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = setup
    content: Any = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"}},
    ]
    answer = client(gateway).chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": content}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(answer.choices[0].message.content or ""), dict)
    sent = upstream.chat_requests()[-1].json
    assert sent["messages"][0]["content"] == content
    assert sent["response_format"] == {"type": "json_object"}


def test_bad_key_is_401(setup: tuple[Gateway, Upstream]) -> None:
    gateway, _ = setup
    with pytest.raises(openai.AuthenticationError) as caught:
        client(gateway, "sk-wrong").chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.status_code == 401
    assert caught.value.code == "invalid_api_key"
    response = httpx.post(gateway.url + "/v1/chat/completions", json={})
    assert response.status_code == 401
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_model_outside_the_key_scope_is_403(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(models=["gpt-4o-mini"]),
        channels=[channel("main", upstream, models=["gpt-test", "gpt-4o-mini"])],
        prices=[per_token()],
    )
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "model_not_allowed"


def test_ip_allowlist_expiry_and_disabled_key(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(), channels=[channel("main", upstream)], prices=[per_token()])
    gateway.admin_json("PATCH", "/api/admin/keys/1", json={"ip_allowlist": ["10.0.0.0/8"]})
    with pytest.raises(openai.PermissionDeniedError) as denied:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert denied.value.code == "ip_not_allowed"
    gateway.admin_json("PATCH", "/api/admin/keys/1", json={"ip_allowlist": ["127.0.0.0/8"], "expires_at": 1})
    with pytest.raises(openai.AuthenticationError) as expired:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert expired.value.code == "api_key_expired"
    gateway.admin_json("PATCH", "/api/admin/keys/1", json={"expires_at": None, "enabled": False})
    with pytest.raises(openai.AuthenticationError):
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    gateway.admin_json("PATCH", "/api/admin/keys/1", json={"enabled": True})
    assert client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])


def test_requests_per_minute_limit_is_429_with_retry_after(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(rpm=2), channels=[channel("main", upstream)], prices=[per_token()])
    for _ in range(2):
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.RateLimitError) as caught:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "requests_per_minute_exceeded"
    assert int(caught.value.response.headers["retry-after"]) >= 1


def test_tokens_per_minute_limit(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(tpm=5), channels=[channel("main", upstream)], prices=[per_token()])
    client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "a b c d e f"}])
    with pytest.raises(openai.RateLimitError) as caught:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert caught.value.code == "tokens_per_minute_exceeded"


def test_insufficient_balance_is_402(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(balance=10), channels=[channel("main", upstream)], prices=[per_token()])
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 402
    assert caught.value.code == "insufficient_balance"
    assert upstream.chat_requests() == []


def test_spend_cap_stops_the_key(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(spend_cap=150),
        channels=[channel("main", upstream)],
        prices=[{"model": "gpt-test", "mode": "per_call", "per_call": 100}],
    )
    client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 402 and caught.value.code == "key_spend_cap_reached"


def test_unknown_and_unpriced_models(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(),
        channels=[channel("main", upstream, models=["gpt-test", "free-model"])],
        prices=[{"model": "free-model", "mode": "free"}],
    )
    with pytest.raises(openai.NotFoundError) as unknown:
        client(gateway).chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert unknown.value.code == "model_not_found"
    with pytest.raises(openai.PermissionDeniedError) as unpriced:
        client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert unpriced.value.code == "model_not_priced"
    assert client(gateway).chat.completions.create(model="free-model", messages=[{"role": "user", "content": "x"}])
    assert gateway.logs()[0]["cost"] == 0


def test_bad_bodies_get_clear_400_and_413(
    setup: tuple[Gateway, Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, upstream = setup
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    broken = httpx.post(gateway.url + "/v1/chat/completions", content=b"{not json", headers=headers)
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]
    empty = httpx.post(
        gateway.url + "/v1/chat/completions", json={"model": "gpt-test", "messages": []}, headers=headers
    )
    assert empty.status_code == 400 and empty.json()["error"]["param"] == "messages"
    huge = httpx.post(
        gateway.url + "/v1/chat/completions",
        content=b"x" * (gateway.settings.server.max_body_bytes + 1),
        headers=headers,
    )
    assert huge.status_code == 413
    assert upstream.chat_requests() == []


def test_group_multiplier_scales_the_bill(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        accounts=[{"name": "vip", "balance": 10**9, "group": "vip"}],
        keys=[{"account": "vip", "name": "k", "key": USER_KEY}],
        channels=[channel("main", upstream, groups=["default", "vip"])],
        prices=[{"model": "gpt-test", "mode": "per_call", "per_call": 1001}],
        group_multipliers={"vip": "0.5"},
    )
    client(gateway).chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "x"}])
    assert gateway.logs()[0]["cost"] == 501  # 500.5 rounded up to a whole micro-unit
