"""Helpers for the declarative task relay's tests: the two example vendors in front of their fakes."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import yaml

from conftest import USER_KEY, Gateway
from mj_support import wait_for
from omnirelay.testing import FakeDigitalHuman, FakePpt, FakeVendorKnobs, serve_in_thread

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "task-vendors"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
BALANCE = 10_000_000
DH_KEY, PPT_KEY = "dh-test-key", "ppt-test-key"
PER_SECOND, PER_SLIDE = 20_000, 5_000
DH_PATH, PPT_PATH = "/v1/vendors/digital-human/videos", "/v1/vendors/slides/decks"
TASK_KEYS = {
    "id", "object", "vendor", "model", "status", "progress", "created_at", "started_at", "finished_at", "result",
    "error",
}  # fmt: skip


def example(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return loaded


def serve_fakes(stack: ExitStack, step_s: float = 0.15) -> tuple[FakeDigitalHuman, str, FakePpt, str]:
    human = FakeDigitalHuman(FakeVendorKnobs(api_key=DH_KEY, step_s=step_s))
    ppt = FakePpt(FakeVendorKnobs(api_key=PPT_KEY, step_s=step_s))
    return human, stack.enter_context(serve_in_thread(human.app)), ppt, stack.enter_context(serve_in_thread(ppt.app))


def vendor_channel(name: str, vendor: str, model: str, url: str, secret: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "task_vendor",
        "base_url": url,
        "secrets": [secret],
        "models": [model],
        "options": {"vendor": vendor},
        **extra,
    }


def start(
    make_gateway: Callable[..., Gateway],
    human_url: str,
    ppt_url: str,
    *,
    channels: list[Any] | None = None,
    **extra: Any,
) -> Gateway:
    """A gateway serving both examples' vendors and prices, their channels pointed at the fakes."""
    human, ppt = example("digital-human"), example("ppt")
    settings: dict[str, Any] = {
        "accounts": [{"name": "acme", "balance": BALANCE}, {"name": "other", "balance": BALANCE}],
        "keys": [
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "other", "name": "other", "key": OTHER_KEY},
        ],
        "task_vendors": human["task_vendors"] + ppt["task_vendors"],
        "channels": channels
        if channels is not None
        else [
            vendor_channel("dh", "digital-human", "digital-human", human_url, DH_KEY),
            vendor_channel("slides", "slides", "slides-v1", ppt_url, PPT_KEY),
        ],
        "prices": human["prices"] + ppt["prices"],
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.2},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},
    }
    settings.update(extra)
    return make_gateway(**settings)


def client(stack: ExitStack, gateway: Gateway, key: str = USER_KEY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    assert set(task) == TASK_KEYS and task["object"] == "task" and task["status"] == "queued", task
    return task


def refused(response: httpx.Response, status: int, code: str | None = None) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    if code is not None:
        assert error["code"] == code, error
    return str(error["message"])


def wait_task(api: httpx.Client, task_id: str, *ends: str) -> dict[str, Any]:
    """The task once its status is one of ``ends`` (default: finished), with ``seen``: each (status, progress)."""
    seen: list[tuple[str, int]] = []
    wanted = ends or ("succeeded", "failed", "canceled")

    def done() -> dict[str, Any] | None:
        response = api.get(f"/v1/tasks/{task_id}")
        assert response.status_code == 200, response.text
        task: dict[str, Any] = response.json()
        seen.append((task["status"], task["progress"]))
        return task if task["status"] in wanted else None

    task: dict[str, Any] = wait_for(done, timeout=20, interval=0.02)
    task["seen"] = seen
    return task


def balances(gateway: Gateway) -> dict[str, int]:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return {a["name"]: int(a["balance"]) for a in accounts}
