"""Tasks survive SIGKILL of a real gateway process, and several workers on PostgreSQL never collide."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from conftest import ADMIN_KEY, USER_KEY
from durability_support import Gateways, balance, closed_entries, free_port, kinds_of, sigkill
from mj_support import MJ_MODELS, PRICE, Receiver, wait_for
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

BALANCE = 100 * PRICE


def _config(path: Path, home: Path, database_url: str, mj_url: str) -> Path:
    models = ", ".join(f'"{m}"' for m in MJ_MODELS)
    prices = "".join(f'\n[[prices]]\nmodel = "{m}"\nmode = "per_call"\nper_call = {PRICE}\n' for m in MJ_MODELS)
    path.write_text(
        f"""
home = "{home}"
database_url = "{database_url}"
admin_key = "{ADMIN_KEY}"
cache_refresh_s = 0.2
[tasks]
poll_min_s = 0.05
poll_max_s = 0.3
lease_s = 1.0
[webhooks]
allow_networks = ["127.0.0.1/32"]
[[accounts]]
name = "acme"
balance = {BALANCE}
[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"
[[channels]]
name = "mj"
type = "midjourney"
base_url = "{mj_url}"
secrets = ["mj-secret"]
models = [{models}]
{prices}"""
    )
    return path


@pytest.fixture
def gateways(stack: ExitStack) -> Gateways:
    started = Gateways()
    stack.callback(started.close)
    return started


def _statuses(port: int, ids: list[str]) -> dict[str, str]:
    tasks = httpx.post(
        f"http://127.0.0.1:{port}/mj/task/list-by-condition",
        json={"ids": ids},
        headers={"Authorization": f"Bearer {USER_KEY}"},
        timeout=30,
    ).json()
    return {t["id"]: t["status"] for t in tasks}


def _submit(port: int, count: int, prompt: Callable[[int], str]) -> list[str]:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"mj-api-secret": USER_KEY}, timeout=30) as c:
        answers = [c.post("/mj/submit/imagine", json={"prompt": prompt(i)}).json() for i in range(count)]
    assert all(a["code"] == 1 for a in answers), answers
    return [a["result"] for a in answers]


@pytest.mark.slow
def test_fifty_tasks_survive_sigkill_and_are_billed_exactly_once(
    stack: ExitStack, tmp_path: Path, database_url: str, gateways: Gateways
) -> None:
    fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, hold=True))
    fake.knobs.fail_prompts_containing = ["doomed"]
    mj_url = stack.enter_context(serve_in_thread(fake.app))
    config = _config(tmp_path / "omnirelay.toml", tmp_path / "home", database_url, mj_url)
    port = free_port()
    first = gateways.serve(config, port)
    ids = _submit(port, 50, lambda i: f"doomed {i}" if i % 5 == 0 else f"picture {i}")
    wait_for(lambda: set(_statuses(port, ids).values()) <= {"IN_PROGRESS", "FAILURE"})
    sigkill(first)
    fake.knobs.hold = False
    fake.release()
    gateways.serve(config, port, OMNIRELAY_RELAY__RESERVATION_TIMEOUT_S="0")
    final = wait_for(lambda: (s := _statuses(port, ids)) and set(s.values()) <= {"SUCCESS", "FAILURE"} and s, 60)
    assert Counter(final.values()) == {"SUCCESS": 40, "FAILURE": 10}

    entries = closed_entries(port, database_url, 50)
    for task_id in ids:
        kinds = kinds_of(entries, task_id)
        expected = "settle" if final[task_id] == "SUCCESS" else "refund"
        assert kinds == {"reserve": 1, expected: 1}, (task_id, kinds)
    assert not any(kind == "release" for _, kind, _ in entries)
    assert balance(port) == BALANCE - 40 * PRICE == BALANCE + sum(a for _, k, a in entries if k != "topup")


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_on_postgres_never_poll_or_deliver_the_same_task_at_once(
    stack: ExitStack, tmp_path: Path, postgres_ok: bool, gateways: Gateways
) -> None:
    from conftest import POSTGRES_URL, _reset_postgres

    if not postgres_ok:
        pytest.skip("PostgreSQL not reachable")
    asyncio.run(_reset_postgres(POSTGRES_URL))
    fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.05, send_notify=False))
    mj_url = stack.enter_context(serve_in_thread(fake.app))
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    config = _config(tmp_path / "omnirelay.toml", tmp_path / "home", POSTGRES_URL, mj_url)
    ports = [free_port(), free_port()]
    gateways.serve(config, ports[0])
    gateways.serve(config, ports[1])
    ids: list[str] = []
    for i in range(40):
        with httpx.Client(base_url=f"http://127.0.0.1:{ports[i % 2]}", timeout=30) as c:
            body = {"prompt": f"p{i}", "notifyHook": hook_url}
            ids.append(c.post("/mj/submit/imagine", json=body, headers={"mj-api-secret": USER_KEY}).json()["result"])
    wait_for(lambda: set(_statuses(ports[0], ids).values()) == {"SUCCESS"}, 60)
    wait_for(lambda: sum(1 for _, body in hook.received if b'"SUCCESS"' in body) >= 40, 30)
    message_ids = [headers["webhook-id"] for headers, _ in hook.received]
    assert len(message_ids) == len(set(message_ids)), "a webhook was delivered twice"
    polls = [r for r in fake.requests if r.path.endswith("/list-by-condition") and r.answered_at is not None]
    assert polls, "the workers never polled"
    for task_id in ids:
        windows = sorted((r.received_at, r.answered_at) for r in polls if task_id in [str(x) for x in r.json["ids"]])
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            assert start >= end, f"task {task_id} was polled by two workers at once"
