"""Routing: failover before the first byte, the circuit breaker, and auto-disable of refused channels."""

from __future__ import annotations

import time
from collections.abc import Callable

import openai

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token


def ask(gateway: Gateway, stream: bool = False) -> str:
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    messages = [{"role": "user", "content": "hi"}]
    if stream:
        chunks = client.chat.completions.create(model="gpt-test", messages=messages, stream=True)  # type: ignore[arg-type]
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return client.chat.completions.create(model="gpt-test", messages=messages).choices[0].message.content or ""  # type: ignore[arg-type]


def two_channels(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], **relay: object
) -> tuple[Gateway, Upstream, Upstream]:
    first = make_upstream(reply="from A")
    second = make_upstream(reply="from B")
    gateway = make_gateway(
        **funded(),
        channels=[channel("a", first, priority=10), channel("b", second, priority=0)],
        prices=[per_token()],
        relay={"breaker_failures": 3, "breaker_cooldown_s": 0.5, "probe_interval_s": 0.3, **relay},
    )
    return gateway, first, second


def test_higher_priority_channel_answers_first(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway)
    assert ask(gateway) == "from A"
    assert second.chat_requests() == []


def test_upstream_500_fails_over_to_the_next_channel(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway)
    first.knobs.status = 500
    assert ask(gateway) == "from B"
    assert ask(gateway, stream=True) == "from B"
    assert len(first.chat_requests()) == 2
    log = gateway.logs()[0]
    assert log["status"] == 200 and log["channel_id"] == 2


def test_reset_before_first_chunk_fails_over(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway)
    first.knobs.reset_before_first_chunk = True
    assert ask(gateway, stream=True) == "from B"
    assert ask(gateway) == "from B"


def test_connection_refused_fails_over(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    second = make_upstream(reply="from B")
    dead = {"name": "dead", "base_url": "http://127.0.0.1:9/v1", "models": ["gpt-test"], "priority": 10}
    gateway = make_gateway(**funded(), channels=[dead, channel("b", second)], prices=[per_token()])
    assert ask(gateway) == "from B"


def test_all_channels_failing_refunds_and_reports(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway)
    first.knobs.status = 503
    second.knobs.status = 500
    try:
        ask(gateway)
    except openai.APIStatusError as exc:
        assert exc.status_code == 502
    else:
        raise AssertionError("expected an error")
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 10**12


def test_upstream_400_is_relayed_not_retried(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway)
    first.knobs.status = 400
    first.knobs.error_message = "max_tokens is too large"
    try:
        ask(gateway)
    except openai.BadRequestError as exc:
        assert "max_tokens is too large" in exc.message
    else:
        raise AssertionError("expected a 400")
    assert second.chat_requests() == []


def test_breaker_opens_after_consecutive_failures_and_recovers(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway)
    first.knobs.status = 500
    for _ in range(3):
        assert ask(gateway) == "from B"
    calls = len(first.chat_requests())
    assert ask(gateway) == "from B"
    assert len(first.chat_requests()) == calls, "an open breaker keeps the channel out of rotation"
    first.knobs.status = None
    time.sleep(0.6)
    assert ask(gateway) == "from A", "after the cool-down one trial call goes through and closes the breaker"
    assert ask(gateway) == "from A"


def test_upstream_401_auto_disables_the_channel_and_the_probe_revives_it(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    gateway, first, second = two_channels(make_upstream, make_gateway, probe_interval_s=0.3)
    first.knobs.api_key = "sk-something-else"
    assert ask(gateway) == "from B"
    deadline = time.monotonic() + 5
    record = gateway.admin_json("GET", "/api/admin/channels/1")
    while not record["auto_disabled"] and time.monotonic() < deadline:
        time.sleep(0.05)
        record = gateway.admin_json("GET", "/api/admin/channels/1")
    assert record["auto_disabled"] is True
    assert "401" in record["disabled_reason"]
    calls = len(first.chat_requests())
    assert ask(gateway) == "from B"
    assert len(first.chat_requests()) == calls
    first.knobs.api_key = None
    deadline = time.monotonic() + 5
    while gateway.admin_json("GET", "/api/admin/channels/1")["auto_disabled"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert gateway.admin_json("GET", "/api/admin/channels/1")["auto_disabled"] is False
    deadline = time.monotonic() + 3
    while ask(gateway) != "from A" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ask(gateway) == "from A"


def test_retry_count_bounds_the_channels_tried(make_upstream, make_gateway) -> None:  # type: ignore[no-untyped-def]
    upstreams = [make_upstream(status=500) for _ in range(3)]
    gateway = make_gateway(
        **funded(),
        channels=[channel(f"c{i}", u, priority=10 - i) for i, u in enumerate(upstreams)],
        prices=[per_token()],
        relay={"retries": 1},
    )
    try:
        ask(gateway)
    except openai.APIStatusError as exc:
        assert exc.status_code == 502
    else:
        raise AssertionError("expected an error")
    assert [len(u.chat_requests()) for u in upstreams] == [1, 1, 0]
