"""Each remaining Midjourney action through the fake proxy; progress learned from callbacks alone."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, sqlite_only
from mj_support import PRICE, mj_channel, mj_prices, wait_status
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread
from test_midjourney import png

BALANCE = 10_000_000
EXTRA_MODELS = ["mj_shorten", "swap_face", "mj_upload"]


@pytest.fixture
def setup(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> Callable[..., tuple[FakeMidjourney, httpx.Client]]:
    def make(tasks: dict[str, Any] | None = None, **knobs: Any) -> tuple[FakeMidjourney, httpx.Client]:
        fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, **knobs))
        url = stack.enter_context(serve_in_thread(fake.app))
        channel = mj_channel("mj", url)
        channel["models"] = [*channel["models"], *EXTRA_MODELS]
        prices = mj_prices() + [{"model": m, "mode": "per_call", "per_call": PRICE} for m in EXTRA_MODELS]
        gateway = make_gateway(
            **funded(BALANCE),
            channels=[channel],
            prices=prices,
            tasks=tasks or {"poll_min_s": 0.05, "poll_max_s": 0.2},
        )
        client = stack.enter_context(
            httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30)
        )
        client.extra_gateway = gateway  # type: ignore[attr-defined]
        return fake, client

    return make


@sqlite_only
@pytest.mark.parametrize(
    ("endpoint", "body", "action"),
    [
        ("/mj/submit/describe", lambda: {"base64": png()}, "DESCRIBE"),
        ("/mj/submit/blend", lambda: {"base64Array": [png(), png()], "dimensions": "PORTRAIT"}, "BLEND"),
        ("/mj/submit/shorten", lambda: {"prompt": "a very long prompt about a fox in the snow"}, "SHORTEN"),
        (
            "/mj/insight-face/swap",
            lambda: {"sourceBase64": png(), "targetBase64": png().replace("A", "B", 1)},
            "SWAP_FACE",
        ),
        (
            "/mj/submit/imagine",
            lambda: {"prompt": "with a picture", "base64Array": [png()], "botType": "NIJI_JOURNEY"},
            "IMAGINE",
        ),
    ],
)
def test_each_action_runs_to_success(
    setup: Any, endpoint: str, body: Callable[[], dict[str, Any]], action: str
) -> None:
    fake, client = setup()
    answer = client.post(endpoint, json=body()).json()
    assert answer["code"] == 1, answer
    task = wait_status(client, answer["result"], "SUCCESS")
    assert task["action"] == action
    if action in ("DESCRIBE", "SHORTEN"):
        assert task["properties"]["finalPrompt"] and task["promptEn"] == task["properties"]["finalPrompt"]
    if action == "IMAGINE":
        assert task["botType"] == "NIJI_JOURNEY"
        sent = [r for r in fake.requests if r.path.endswith("/submit/imagine")][-1]
        assert sent.json["botType"] == "NIJI_JOURNEY" and sent.json["notifyHook"].startswith(client.base_url.__str__())


def test_upload_returns_links_and_image_seed_is_relayed(setup: Any) -> None:
    fake, client = setup()
    uploaded = client.post("/mj/submit/upload-discord-images", json={"base64Array": [png()]}).json()
    assert uploaded["code"] == 1 and isinstance(uploaded["result"], list) and len(uploaded["result"]) == 1
    task_id = client.post("/mj/submit/imagine", json={"prompt": "seeded"}).json()["result"]
    wait_status(client, task_id, "SUCCESS")
    seed = client.get(f"/mj/task/{task_id}/image-seed").json()
    assert seed["code"] == 1 and seed["result"].isdigit()
    gateway = client.extra_gateway  # type: ignore[attr-defined]
    assert_ledger_balanced(gateway)


def test_upstream_callbacks_move_tasks_on_at_once_through_a_poll(setup: Any) -> None:
    fake, client = setup(tasks={"poll_min_s": 3600, "poll_max_s": 3600})
    task_id = client.post("/mj/submit/imagine", json={"prompt": "pushed"}).json()["result"]
    task = wait_status(client, task_id, "SUCCESS")  # with polls an hour apart: each callback made one now
    assert task["progress"] == "100%"
    assert any(r.path.endswith("/list-by-condition") for r in fake.requests)
    forged = httpx.post(f"{client.base_url}/mj/callback/{task_id}/forged", json={"id": "1", "status": "SUCCESS"})
    assert forged.status_code == 404
