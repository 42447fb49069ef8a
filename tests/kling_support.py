"""Helpers for Kling tests: fake upstreams, a gateway in front of them, Kling's envelope."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
from PIL import Image

from conftest import USER_KEY, Gateway
from mj_support import wait_for
from omnirelay.testing import FakeKling, FakeKlingKnobs, serve_in_thread

ACCESS_KEY, SECRET_KEY = "ak-kling-test", "sk-kling-test-secret-0123456789abcdef"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
BALANCE = 10_000_000
PRICES = {
    "kling-v1": 100_000,
    "kling-v1:pro:10": 400_000,
    "kling-v1:image": 30_000,
}
TASK_KEYS = {"task_id", "task_status", "task_status_msg", "task_info", "created_at", "updated_at"}


def serve_kling(stack: ExitStack, **knobs: Any) -> tuple[FakeKling, str]:
    fake = FakeKling(FakeKlingKnobs(**{"step_s": 0.05, "keys": {ACCESS_KEY: SECRET_KEY}, **knobs}))
    return fake, stack.enter_context(serve_in_thread(fake.app))


def kling_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "kling",
        "base_url": url,
        "secrets": [f"{ACCESS_KEY}|{SECRET_KEY}"],
        "models": ["kling-v1", "kling-v2-master"],
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
    body = response.json()
    assert (body["code"], body["message"]) == (0, "SUCCEED") and body["request_id"], body
    return body["data"]


def refused(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "request_id"} and body["code"] == code, body
    return str(body["message"])


def wait_task(api: httpx.Client, path: str, task_id: str) -> dict[str, Any]:
    """The finished task, with ``seen``: every status a query answered on the way."""
    seen: list[str] = []

    def finished() -> dict[str, Any] | None:
        task: dict[str, Any] = ok(api.get(f"{path}/{task_id}"))
        seen.append(task["task_status"])
        return task if task["task_status"] in ("succeed", "failed") else None

    task: dict[str, Any] = wait_for(finished, timeout=20, interval=0.02)
    task["seen"] = seen
    return task


def balances(gateway: Gateway) -> dict[str, int]:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return {a["name"]: int(a["balance"]) for a in accounts}


def picture(width: int = 400, height: int = 400, kind: str = "PNG") -> str:
    """Raw base64 of a real image (no ``data:`` prefix, as Kling takes it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=kind)
    return base64.b64encode(buffer.getvalue()).decode()
