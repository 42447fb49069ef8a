"""Helpers of the customer-side tests: a gateway with a chat, a Midjourney and a Suno channel; customers."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx

from conftest import Gateway, Upstream, channel, per_token
from mj_support import mj_channel, mj_prices
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, FakeSuno, FakeSunoKnobs, serve_in_thread
from platform_support import account_id
from test_suno_family import PRICES as SUNO_PRICES
from test_suno_family import UPSTREAM_KEY as SUNO_KEY
from test_suno_family import suno_channel

LOOPBACK = ["127.0.0.1/32"]


def customer_gateway(
    stack: ExitStack, make_gateway: Callable[..., Gateway], upstream: Upstream, **extra: Any
) -> tuple[Gateway, FakeMidjourney]:
    fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02))
    mj_url = stack.enter_context(serve_in_thread(fake.app))
    suno = FakeSuno(FakeSunoKnobs(step_s=0.02, api_key=SUNO_KEY))
    suno_url = stack.enter_context(serve_in_thread(suno.app))
    gateway = make_gateway(
        console={"signup": "open", "money_symbol": "$"},
        channels=[
            channel("main", upstream, models=["gpt-test", "gpt-cached"]),
            mj_channel("mj", mj_url),
            suno_channel("suno", suno_url),
        ],
        prices=[
            per_token(),
            {**per_token("gpt-cached"), "cache_read_per_million": 250_000},
            *mj_prices(),
            *({"model": m, "mode": "per_call", "per_call": p} for m, p in SUNO_PRICES.items()),
        ],
        tasks={"poll_min_s": 0.05, "poll_max_s": 0.2},
        webhooks={"allow_networks": LOOPBACK, "retry_schedule_s": [0.2] * 6},
        outbound={"allow_networks": LOOPBACK},
        **extra,
    )
    return gateway, fake


def fund(gateway: Gateway, client: httpx.Client, amount: int = 10**9) -> None:
    gateway.admin_json("POST", f"/api/admin/accounts/{account_id(client)}/topups", json={"amount": amount})


def new_key(client: httpx.Client, name: str = "main") -> str:
    created = client.post("/api/v1/keys", json={"name": name})
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


def make_codes(gateway: Gateway, amount: int, count: int = 1, **extra: Any) -> list[str]:
    body = gateway.admin_json("POST", "/api/admin/redemption-codes", json={"amount": amount, "count": count, **extra})
    return list(body["codes"])
