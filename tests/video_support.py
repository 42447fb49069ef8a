"""Helpers for the video surfaces' tests: a fake MiniMax and a fake Kling behind one gateway."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import openai

from conftest import USER_KEY, Gateway
from kling_support import ACCESS_KEY, SECRET_KEY
from omnirelay.testing import FakeKling, FakeKlingKnobs, FakeMiniMax, FakeMiniMaxKnobs, serve_in_thread

MINIMAX_KEY = "mm-upstream-key-0123456789"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
BALANCE = 10_000_000
MINIMAX_MODEL = "MiniMax-Hailuo-02"
PRICES = {
    MINIMAX_MODEL: 200_000,
    f"{MINIMAX_MODEL}:1280x720": 250_000,
    f"{MINIMAX_MODEL}:1280x720:10": 450_000,
    f"{MINIMAX_MODEL}:1080P:10": 700_000,
    "kling-v1": 100_000,
    "kling-v1:720x1280:5": 120_000,
}


def serve_minimax(stack: ExitStack, **knobs: Any) -> tuple[FakeMiniMax, str]:
    fake = FakeMiniMax(FakeMiniMaxKnobs(**{"step_s": 0.05, "api_keys": [MINIMAX_KEY], **knobs}))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def serve_kling(stack: ExitStack, **knobs: Any) -> tuple[FakeKling, str]:
    fake = FakeKling(FakeKlingKnobs(**{"step_s": 0.05, "keys": {ACCESS_KEY: SECRET_KEY}, **knobs}))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def minimax_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "minimax", "base_url": url, "secrets": [MINIMAX_KEY], "models": [MINIMAX_MODEL],
            **extra}  # fmt: skip


def kling_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    secret = f"{ACCESS_KEY}|{SECRET_KEY}"
    return {"name": name, "type": "kling", "base_url": url, "secrets": [secret], "models": ["kling-v1"], **extra}


def start(make_gateway: Callable[..., Gateway], channels: list[dict[str, Any]], **extra: Any) -> Gateway:
    settings: dict[str, Any] = {
        "accounts": [{"name": "acme", "balance": BALANCE}, {"name": "other", "balance": BALANCE}],
        "keys": [
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "other", "name": "other", "key": OTHER_KEY},
        ],
        "channels": channels,
        "prices": [{"model": m, "mode": "per_call", "per_call": p} for m, p in PRICES.items()],
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.2},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fakes serve their files on loopback
    }
    settings.update(extra)
    return make_gateway(**settings)


def sdk(gateway: Gateway, key: str = USER_KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)


def client(stack: ExitStack, gateway: Gateway, key: str = USER_KEY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def balances(gateway: Gateway) -> dict[str, int]:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return {a["name"]: int(a["balance"]) for a in accounts}


def openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "type", "param", "code"}, body
    error: dict[str, Any] = body["error"]
    return error
