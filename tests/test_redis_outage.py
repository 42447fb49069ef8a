"""Redis going away never leaves its counters different from the ledger, nor makes an answer lie.

Redis is reached through a proxy of the test's own (``redis_proxy.py``) that is cut and restored;
the machine's Redis server keeps running. Before issue #9's fix an outage during a settle left the
Redis balance different from the ledger for good (a restart seeded only missing counters), a
top-up answered 503 although it was committed (so a retry credited it twice), and reading an
account answered 500.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from conftest import (
    ADMIN_KEY,
    REDIS_URL,
    USER_KEY,
    Gateway,
    Upstream,
    assert_ledger_balanced,
    channel,
    funded,
    per_token,
    store_totals,
)
from mj_support import wait_for
from omnirelay.app import create_app
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread
from redis_proxy import RedisProxy, redis_proxy

BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
START = 10**9


@pytest.fixture
def proxy(redis_settings: dict[str, Any]) -> Iterator[RedisProxy]:
    with redis_proxy(REDIS_URL) as proxy:
        yield proxy


def _live_balance(prefix: str) -> int | None:
    value = redis.Redis.from_url(REDIS_URL).get(f"{prefix}:balance:1")
    return None if value is None else int(value)


def _ledger_balance(gateway: Gateway) -> int:
    [(_, balance, total)] = store_totals(gateway)
    assert balance == total
    return balance


def _settled_during_outage(gateway: Gateway, proxy: RedisProxy) -> int:
    """One call whose settle happens while Redis is cut; returns the status the client got."""
    statuses: list[int] = []

    def call() -> None:
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        answer = httpx.post(gateway.url + "/v1/chat/completions", json=BODY, headers=headers, timeout=30)
        statuses.append(answer.status_code)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.4)  # held in Redis; the upstream answers after 1 s
    proxy.cut()
    caller.join(30)
    return statuses[0]


def _config(upstream: Upstream, proxy: RedisProxy, redis_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        **funded(balance=START),
        "channels": [channel("up", upstream)],
        "prices": [per_token()],  # the hold (max tokens) is well above the cost: a settle gives back
        "redis_url": proxy.url,
        "redis_prefix": redis_settings["redis_prefix"],
    }


def test_an_outage_during_a_settle_is_reconciled_from_the_ledger(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
) -> None:
    gateway = make_gateway(**_config(make_upstream(latency_s=1.0), proxy, redis_settings))
    assert _settled_during_outage(gateway, proxy) == 200  # served and billed: the client hears so
    ledger = _ledger_balance(gateway)
    assert START - 1000 < ledger < START
    proxy.restore()
    prefix = redis_settings["redis_prefix"]
    wait_for(lambda: _live_balance(prefix) == ledger, 15)
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["available"] == ledger
    assert_ledger_balanced(gateway)


def test_a_restart_reconciles_counters_an_outage_left_wrong(
    stack: ExitStack,
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
    tmp_path: Path,
    database_url: str,
) -> None:
    config = _config(make_upstream(latency_s=1.0), proxy, redis_settings)
    values = {
        "home": tmp_path / "home",
        "database_url": database_url,
        "admin_key": ADMIN_KEY,
        "secret_key": "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc=",
        "writer": {"flush_interval_s": 0.05, "batch_size": 2000},
        "billing": {"reconcile_interval_s": 3600},
        **config,
    }
    with ExitStack() as first_life:
        settings = Settings.model_validate(values)
        url = first_life.enter_context(serve_in_thread(create_app(settings)))
        first = Gateway(url, settings, first_life.enter_context(httpx.Client(base_url=url)))
        _settled_during_outage(first, proxy)
    proxy.restore()  # the first process stopped while Redis was away: it could not repair anything
    prefix = redis_settings["redis_prefix"]
    assert _live_balance(prefix) != START
    second = make_gateway(**values)
    ledger = _ledger_balance(second)
    wait_for(lambda: _live_balance(prefix) == ledger, 15)


def test_a_topup_during_an_outage_answers_success_and_a_retry_credits_once(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
) -> None:
    gateway = make_gateway(**_config(make_upstream(), proxy, redis_settings))
    proxy.cut()
    headers = {"Idempotency-Key": "payment-2026-0042"}
    first = gateway.admin.post("/api/admin/accounts/1/topups", json={"amount": 500}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["balance"] == START + 500 and first.json()["warnings"]
    retry = gateway.admin.post("/api/admin/accounts/1/topups", json={"amount": 500}, headers=headers)
    assert retry.status_code == 200, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["balance"] == START + 500
    assert _ledger_balance(gateway) == START + 500
    proxy.restore()
    wait_for(lambda: _live_balance(redis_settings["redis_prefix"]) == START + 500, 15)


def test_an_account_read_while_redis_is_away_answers_from_the_store(
    make_upstream: Callable[..., Upstream],
    make_gateway: Callable[..., Gateway],
    redis_settings: dict[str, Any],
    proxy: RedisProxy,
) -> None:
    gateway = make_gateway(**_config(make_upstream(), proxy, redis_settings))
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["live"] is True
    proxy.cut()
    response = gateway.admin.get("/api/admin/accounts/1")
    assert response.status_code == 200, response.text
    account = response.json()
    assert account["live"] is False and account["available"] == account["balance"] == START
