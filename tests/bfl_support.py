"""Helpers for BFL tests: fake upstreams, a gateway in front of them, BFL's result polling."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx

from conftest import USER_KEY, Gateway
from mj_support import wait_for
from omnirelay.testing import FakeBfl, FakeBflKnobs, serve_in_thread

BFL_KEY = "bfl-upstream-key-0123456789"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
POOR_KEY = "sk-user-poor-00000000000000000000000000000000000000000"
BALANCE = 10_000_000
PRICES = {
    "flux-pro-1.1": 40_000,
    "flux-pro-1.1:1440x1440": 80_000,
    "flux-pro-1.1-ultra": 60_000,
    "flux-kontext-pro": 40_000,
    "flux-dev": 25_000,
}
RESULT_KEYS = {"id", "status", "result", "progress", "details"}
ENDED = ("Ready", "Error", "Request Moderated", "Content Moderated")


def serve_bfl(stack: ExitStack, **knobs: Any) -> tuple[FakeBfl, str]:
    fake = FakeBfl(FakeBflKnobs(**{"step_s": 0.05, "api_keys": [BFL_KEY], **knobs}))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def bfl_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "bfl",
        "base_url": url,
        "secrets": [BFL_KEY],
        "models": ["flux-pro-1.1", "flux-pro-1.1-ultra", "flux-kontext-pro", "flux-dev"],
        **extra,
    }


def start(make_gateway: Callable[..., Gateway], channels: list[dict[str, Any]], **extra: Any) -> Gateway:
    settings: dict[str, Any] = {
        "accounts": [
            {"name": "acme", "balance": BALANCE},
            {"name": "other", "balance": BALANCE},
            {"name": "poor", "balance": 10},
        ],
        "keys": [
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "other", "name": "other", "key": OTHER_KEY},
            {"account": "poor", "name": "poor", "key": POOR_KEY},
        ],
        "channels": channels,
        "prices": [{"model": m, "mode": "per_call", "per_call": p} for m, p in PRICES.items()],
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.2},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fake serves its files on loopback
    }
    settings.update(extra)
    return make_gateway(**settings)


def client(stack: ExitStack, gateway: Gateway, key: str = USER_KEY, *, bearer: bool = False) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if bearer else {"x-key": key}
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def invalid(response: httpx.Response) -> list[dict[str, Any]]:
    """The ``detail`` list of a 422 (FastAPI's shape)."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], list) and body["detail"], body
    assert all(set(d) == {"loc", "msg", "type"} for d in body["detail"]), body
    detail: list[dict[str, Any]] = body["detail"]
    return detail


def wait_result(api: httpx.Client, url: str) -> dict[str, Any]:
    """The ended result at ``url`` (a polling_url), with ``seen``: every (status, progress) polled on the way."""
    seen: list[tuple[str, Any]] = []

    def ended() -> dict[str, Any] | None:
        result: dict[str, Any] = ok(api.get(url))
        assert set(result) == RESULT_KEYS, result
        seen.append((result["status"], result["progress"]))
        return result if result["status"] in ENDED else None

    result: dict[str, Any] = wait_for(ended, timeout=20, interval=0.02)
    result["seen"] = seen
    return result


def balances(gateway: Gateway) -> dict[str, int]:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return {a["name"]: int(a["balance"]) for a in accounts}
