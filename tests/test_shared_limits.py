"""Two gateways on one store and one Redis: a key's limits and a channel's breaker hold across both.

Without Redis each process counts for itself (a key limited to 10 rpm gets 10 from each); with
``redis_url`` every process admits against the same counters. While Redis is unreachable the
limits fall back to each process's own counts (``local``, the default) or refuse (``refuse``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import structlog

from conftest import REDIS_URL, USER_KEY, Gateway, Upstream, channel, funded, per_token
from mj_support import wait_for
from redis_proxy import RedisProxy, redis_proxy

LIMITS_DOWN = "Redis is unreachable: key limits (rpm, tpm, concurrency) fall back to this process's own counts"
LIMITS_BACK = "Redis answers again: key limits (rpm, tpm, concurrency) are shared through it again"


def _post(gateway: Gateway, content: str = "hi") -> httpx.Response:
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": content}]}
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    return httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=30)


def _code(response: httpx.Response) -> str | None:
    return None if response.status_code == 200 else response.json()["error"]["code"]


def _pair(make_gateway: Callable[..., Gateway], **config: Any) -> tuple[Gateway, Gateway]:
    return make_gateway(**config), make_gateway(**config)


def _spread(gateways: tuple[Gateway, Gateway], calls: int) -> list[str | None]:
    """``calls`` requests at once, alternating between the gateways: each one's error code (None: 200)."""
    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(lambda i: _code(_post(gateways[i % 2])), range(calls)))


def test_a_requests_per_minute_limit_counts_the_calls_of_every_gateway(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], redis_settings: dict[str, Any]
) -> None:
    upstream = make_upstream()
    gateways = _pair(
        make_gateway, **funded(rpm=10), channels=[channel("up", upstream)], prices=[per_token()], **redis_settings
    )
    codes = _spread(gateways, 30)
    assert codes.count(None) == 10 and codes.count("requests_per_minute_exceeded") == 20, codes


def test_tokens_used_on_one_gateway_count_on_the_other(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], redis_settings: dict[str, Any]
) -> None:
    upstream = make_upstream()
    first, second = _pair(
        make_gateway, **funded(tpm=5), channels=[channel("up", upstream)], prices=[per_token()], **redis_settings
    )
    assert _post(first, "a b c d e f").status_code == 200
    assert _code(_post(second)) == "tokens_per_minute_exceeded"


def test_a_concurrency_limit_holds_across_gateways_and_frees_its_slots(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], redis_settings: dict[str, Any]
) -> None:
    upstream = make_upstream(latency_s=1.0)
    gateways = _pair(
        make_gateway,
        **funded(max_concurrency=2),
        channels=[channel("up", upstream)],
        prices=[per_token()],
        **redis_settings,
    )
    codes = _spread(gateways, 6)
    assert codes.count(None) == 2 and codes.count("concurrency_limit_exceeded") == 4, codes
    assert _spread(gateways, 2) == [None, None], "the finished calls gave their slots back"


def _breaker_state(gateway: Gateway, name: str) -> float:
    """Channel ``name``'s ``omnirelay_channel_breaker_state`` in ``/metrics`` (0 closed, 1 open, 2 trial)."""
    for line in httpx.get(gateway.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(f'omnirelay_channel_breaker_state{{channel="{name}"}}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no breaker state for channel {name}")


def _failing_first_channel(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    cooldown_s: float,
) -> tuple[Gateway, Gateway, Upstream]:
    first, second = make_upstream(reply="from A", status=500), make_upstream(reply="from B")
    gateways = _pair(
        make_gateway,
        **funded(),
        channels=[channel("a", first, priority=10), channel("b", second, priority=0)],
        prices=[per_token()],
        relay={"breaker_failures": 2, "breaker_cooldown_s": cooldown_s, "probe_interval_s": 3600},
        **redis_settings,
    )
    for _ in range(2):
        assert _post(gateways[0]).json()["choices"][0]["message"]["content"] == "from B"
    return *gateways, first


def test_failures_seen_by_one_gateway_open_the_breaker_on_the_other(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], redis_settings: dict[str, Any]
) -> None:
    gateway_a, gateway_b, upstream_a = _failing_first_channel(make_upstream, make_gateway, redis_settings, 60)
    wait_for(lambda: _breaker_state(gateway_b, "a") == 1, 5)
    calls = len(upstream_a.chat_requests())
    assert _post(gateway_b).json()["choices"][0]["message"]["content"] == "from B"
    assert len(upstream_a.chat_requests()) == calls, "gateway B never tried the channel A's failures opened"


def test_after_the_cooldown_one_gateway_at_a_time_makes_the_trial_call(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], redis_settings: dict[str, Any]
) -> None:
    gateway_a, gateway_b, upstream_a = _failing_first_channel(make_upstream, make_gateway, redis_settings, 1.0)
    upstream_a.knobs.status, upstream_a.knobs.latency_s = None, 1.0
    wait_for(lambda: _breaker_state(gateway_a, "a") == _breaker_state(gateway_b, "a") == 2, 10)
    for gateway in (gateway_a, gateway_b):  # the first call after the cool-down claims the trial, elsewhere
        assert _post(gateway).json()["choices"][0]["message"]["content"] == "from B"
    calls = len(upstream_a.chat_requests())
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda i: _post((gateway_a, gateway_b)[i % 2]).json(), range(4)))
    answers = sorted(r["choices"][0]["message"]["content"] for r in replies)
    assert answers == ["from A", "from B", "from B", "from B"]
    assert len(upstream_a.chat_requests()) == calls + 1, "one trial for both gateways"
    wait_for(lambda: _breaker_state(gateway_a, "a") == _breaker_state(gateway_b, "a") == 0, 5)


@pytest.fixture
def proxy(redis_settings: dict[str, Any]) -> Iterator[RedisProxy]:
    with redis_proxy(REDIS_URL) as proxy:
        yield proxy


def _through_proxy(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
    **relay: Any,
) -> tuple[Gateway, Gateway]:
    return _pair(
        make_gateway,
        **funded(rpm=3),
        channels=[channel("up", make_upstream())],
        prices=[per_token()],
        redis_url=proxy.url,
        redis_prefix=redis_settings["redis_prefix"],
        relay=relay,
    )


def test_while_redis_is_away_limits_fall_back_to_each_gateway_and_are_shared_again_after(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
) -> None:
    first, second = _through_proxy(make_upstream, make_gateway, redis_settings, proxy)
    with structlog.testing.capture_logs() as logs:
        proxy.cut()
        # fail-open: the limit is counted here; the call then stops at its balance hold (fail-closed)
        assert [_code(_post(first)) for _ in range(4)] == ["billing_unavailable"] * 3 + ["requests_per_minute_exceeded"]
        proxy.restore()
        wait_for(lambda: _post(first).status_code == 200, 15)
        assert [_code(_post(g)) for g in (second, first, second)] == [None, None, "requests_per_minute_exceeded"]
    events = [e["event"] for e in logs]
    assert events.count(LIMITS_DOWN + " until it answers") == 1, events
    assert events.count(LIMITS_BACK) == 1, events


def test_limits_set_to_refuse_answer_503_while_redis_is_away(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
) -> None:
    first, _ = _through_proxy(make_upstream, make_gateway, redis_settings, proxy, limits_on_redis_outage="refuse")
    proxy.cut()
    answers = [_post(first) for _ in range(5)]
    assert {(a.status_code, _code(a)) for a in answers} == {(503, "limits_unavailable")}
    proxy.restore()
    wait_for(lambda: _post(first).status_code == 200, 15)
