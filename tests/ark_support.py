"""Helpers for Ark tests: fake upstreams, a gateway in front of them, Ark's error shape."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx

from conftest import USER_KEY, Gateway
from mj_support import wait_for
from omnirelay.testing import FakeArk, FakeArkKnobs, serve_in_thread

ARK_KEY = "ark-test-key-0123456789"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
BALANCE = 10_000_000
T2I, SEEDEDIT, SEEDREAM4 = (
    "doubao-seedream-3-0-t2i-250415",
    "doubao-seededit-3-0-i2i-250628",
    "doubao-seedream-4-0-250828",
)
PRO, LITE = "doubao-seedance-1-0-pro-250528", "doubao-seedance-1-0-lite-t2v-250428"
PRICES = {
    T2I: 20_000,
    f"{T2I}:1280x720": 25_000,
    SEEDEDIT: 30_000,
    SEEDREAM4: 40_000,
    PRO: 500_000,
    f"{PRO}:1080p:10": 1_000_000,
    f"{PRO}:720p": 300_000,
    LITE: 200_000,
}
IMAGES = "/api/v3/images/generations"
TASKS = "/api/v3/contents/generations/tasks"


def serve_ark(stack: ExitStack, **knobs: Any) -> tuple[FakeArk, str]:
    fake = FakeArk(FakeArkKnobs(**{"step_s": 0.05, "keys": [ARK_KEY], **knobs}))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def ark_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "ark",
        "base_url": url,
        "secrets": [ARK_KEY],
        "models": [T2I, SEEDEDIT, SEEDREAM4, PRO, LITE],
        **extra,
    }


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
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fake serves its files on loopback
    }
    settings.update(extra)
    return make_gateway(**settings)


def client(stack: ExitStack, gateway: Gateway, key: str = USER_KEY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "param", "type"}, body
    assert body["error"]["code"] == code, body
    return dict(body["error"])


def wait_task(api: httpx.Client, task_id: str, path: str = TASKS) -> dict[str, Any]:
    """The finished task, with ``seen``: every status a get answered on the way."""
    seen: list[str] = []

    def finished() -> dict[str, Any] | None:
        task: dict[str, Any] = ok(api.get(f"{path}/{task_id}"))
        seen.append(task["status"])
        return task if task["status"] not in ("queued", "running") else None

    task: dict[str, Any] = wait_for(finished, timeout=20, interval=0.02)
    task["seen"] = seen
    return task


def balances(gateway: Gateway) -> dict[str, int]:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return {a["name"]: int(a["balance"]) for a in accounts}


def video_body(model: str = PRO, text: str = "a fox runs", **extra: Any) -> dict[str, Any]:
    return {"model": model, "content": [{"type": "text", "text": text}], **extra}
