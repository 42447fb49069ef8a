"""Tasks survive SIGKILL of a real gateway process, and several workers on PostgreSQL never collide."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import ADMIN_KEY, USER_KEY
from mj_support import MJ_MODELS, PRICE, Receiver, wait_for
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

BALANCE = 100 * PRICE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def _serve(config: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("gateway did not start")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait(10)


async def _entries(url: str) -> list[tuple[str, str, int]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT request_id, kind, amount FROM ledger_entries ORDER BY id"))
            return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
    finally:
        await engine.dispose()


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
    stack: ExitStack, tmp_path: Path, database_url: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, hold=True))
    fake.knobs.fail_prompts_containing = ["doomed"]
    mj_url = stack.enter_context(serve_in_thread(fake.app))
    config = _config(tmp_path / "omnirelay.toml", tmp_path / "home", database_url, mj_url)
    port = _free_port()
    first = _serve(config, port)
    processes.append(first)
    ids = _submit(port, 50, lambda i: f"doomed {i}" if i % 5 == 0 else f"picture {i}")
    wait_for(lambda: set(_statuses(port, ids).values()) <= {"IN_PROGRESS", "FAILURE"})
    first.send_signal(signal.SIGKILL)
    first.wait()
    fake.knobs.hold = False
    fake.release()
    processes.append(_serve(config, port, OMNIRELAY_RELAY__RESERVATION_TIMEOUT_S="0"))
    final = wait_for(lambda: (s := _statuses(port, ids)) and set(s.values()) <= {"SUCCESS", "FAILURE"} and s, 60)
    assert Counter(final.values()) == {"SUCCESS": 40, "FAILURE": 10}

    def settled() -> list[tuple[str, str, int]]:
        httpx.get(
            f"http://127.0.0.1:{port}/api/admin/logs",
            params={"flush": "true", "limit": 1},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        entries = asyncio.run(_entries(database_url))
        return entries if sum(1 for _, k, _ in entries if k in ("settle", "refund")) >= 50 else []

    entries = wait_for(settled, 30)
    for task_id in ids:
        kinds = Counter(kind for rid, kind, _ in entries if rid == task_id)
        expected = "settle" if final[task_id] == "SUCCESS" else "refund"
        assert kinds == {"reserve": 1, expected: 1}, (task_id, kinds)
    assert not any(kind == "release" for _, kind, _ in entries)
    account = httpx.get(
        f"http://127.0.0.1:{port}/api/admin/accounts/1", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    ).json()
    assert account["balance"] == BALANCE - 40 * PRICE == BALANCE + sum(a for _, k, a in entries if k != "topup")


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_on_postgres_never_poll_or_deliver_the_same_task_at_once(
    stack: ExitStack, tmp_path: Path, postgres_ok: bool, processes: list[subprocess.Popen[bytes]]
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
    ports = [_free_port(), _free_port()]
    processes.append(_serve(config, ports[0]))
    processes.append(_serve(config, ports[1]))
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
