"""Several gateway processes on one store hold money against the same counters (Redis)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import redis

from conftest import REDIS_URL, USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded

PER_CALL = {"model": "gpt-test", "mode": "per_call", "per_call": 100}
BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}


def _post(gateway: Gateway) -> int:
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    return httpx.post(gateway.url + "/v1/chat/completions", json=BODY, headers=headers, timeout=30).status_code


def test_two_gateways_never_spend_more_than_the_balance(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
) -> None:
    upstream = make_upstream(latency_s=0.3)
    config = {**funded(balance=50 * 100), "channels": [channel("up", upstream)], "prices": [PER_CALL], **redis_settings}
    gateways = [make_gateway(**config), make_gateway(**config)]
    with ThreadPoolExecutor(100) as pool:
        statuses = list(pool.map(lambda i: _post(gateways[i % 2]), range(100)))
    assert statuses.count(200) == 50 and statuses.count(402) == 50
    for gateway in gateways:
        assert_ledger_balanced(gateway)
    assert gateways[0].admin_json("GET", "/api/admin/accounts/1")["balance"] == 0
    live = redis.Redis.from_url(REDIS_URL).get(f"{redis_settings['redis_prefix']}:balance:1")
    assert int(live or -1) == 0


def test_a_topup_on_one_gateway_funds_calls_on_the_other(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
) -> None:
    upstream = make_upstream()
    config = {**funded(balance=0), "channels": [channel("up", upstream)], "prices": [PER_CALL], **redis_settings}
    first, second = make_gateway(**config), make_gateway(**config)
    assert _post(second) == 402
    first.admin_json("POST", "/api/admin/accounts/1/topups", json={"amount": 200})
    assert [_post(second), _post(first), _post(second)] == [200, 200, 402]
    assert second.admin_json("GET", "/api/admin/accounts/1")["available"] == 0
    assert_ledger_balanced(first)
