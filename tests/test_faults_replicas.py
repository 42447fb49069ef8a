"""Fault suite (issue #15): two real replicas on PostgreSQL + Redis hold one key's money and limits
together under a burst, and a replica killed with -9 under load costs its own clients only."""

from __future__ import annotations

import asyncio
import signal
import threading
from contextlib import ExitStack
from pathlib import Path

import httpx
import orjson
import pytest

from conftest import USER_KEY
from fault_support import (
    BODY,
    STREAM_BODY,
    InFlight,
    burst,
    call,
    cluster,
    flush,
    ledger,
    open_reservations,
    wait_until,
)
from mj_support import Receiver
from omnirelay.testing import FakeKling, FakeKlingKnobs, FakeOpenAI, FakeOpenAIKnobs, serve_in_thread

pytestmark = [pytest.mark.fault, pytest.mark.slow]
PRICE = 100
KLING_ACCESS, KLING_SECRET = "ak-kling-test", "sk-kling-test-secret-0123456789abcdef"


def test_200_concurrent_calls_on_a_key_funded_for_100_serve_at_most_100_and_overspend_nothing(
    stack: ExitStack, tmp_path: Path
) -> None:
    upstream = stack.enter_context(serve_in_thread(FakeOpenAI(FakeOpenAIKnobs(latency_s=0.2)).app))
    with cluster(tmp_path, [upstream], balance=100 * PRICE, per_call=PRICE) as replicas:
        urls = replicas.start(2)
        statuses = burst(urls, 200)
        served = statuses.count(200)
        assert served <= 100 and set(statuses) <= {200, 402}, statuses
        assert served >= 90, f"only {served} of the 100 the balance pays for were served"
        for url in urls:
            flush(url)
        balance, total, kinds = ledger()
        assert balance == total == 100 * PRICE - served * PRICE >= 0, (balance, total, kinds)
        assert kinds.get("settle", 0) == served and open_reservations() == 0


def test_a_requests_per_minute_limit_holds_across_replicas_under_a_burst(stack: ExitStack, tmp_path: Path) -> None:
    upstream = stack.enter_context(serve_in_thread(FakeOpenAI().app))
    with cluster(tmp_path, [upstream], key={"rpm": 30}) as replicas:
        statuses = burst(replicas.start(2), 120)
        assert statuses.count(200) == 30 and statuses.count(429) == 90, statuses


def test_a_concurrency_limit_holds_across_replicas_at_the_upstream(stack: ExitStack, tmp_path: Path) -> None:
    counting = InFlight(FakeOpenAI(FakeOpenAIKnobs(latency_s=0.3)).app)
    upstream = stack.enter_context(serve_in_thread(counting))
    with cluster(tmp_path, [upstream], key={"max_concurrency": 3}) as replicas:
        statuses = burst(replicas.start(2), 60)
        assert counting.most <= 3, f"{counting.most} calls of one key were in flight upstream at once"
        assert statuses.count(200) >= 3 and set(statuses) <= {200, 429}, statuses


async def _stream(url: str) -> str:
    """``done`` when the stream ended with [DONE], ``cut`` when the connection broke before."""
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    try:
        async with httpx.AsyncClient(timeout=60, headers=headers) as client:
            async with client.stream("POST", f"{url}/v1/chat/completions", json=STREAM_BODY) as response:
                text = "".join([chunk async for chunk in response.aiter_text()])
    except httpx.HTTPError:
        return "cut"
    return "done" if response.status_code == 200 and "data: [DONE]" in text else "cut"


def test_a_replica_killed_under_load_leaves_the_other_replicas_clients_unaffected_and_its_holds_closed(
    stack: ExitStack, tmp_path: Path
) -> None:
    """The survivor's streams all end with [DONE]; the dead one's holds are released by the survivor once
    its lease (``billing.lease_s``) ran out, with no restart; a restart later settles nothing twice."""
    fake = FakeOpenAI(FakeOpenAIKnobs(chunk_delay_s=0.05, chunks=40))  # each stream lasts about two seconds
    upstream = stack.enter_context(serve_in_thread(fake.app))
    with cluster(tmp_path, [upstream], tables={"billing": {"lease_s": 2.0}}) as replicas:
        doomed, survivor = replicas.start(2)
        outcomes: dict[str, list[str]] = {}

        def load() -> None:
            async def run() -> None:
                calls = [_stream(url) for url in (doomed, survivor) for _ in range(15)]
                results = await asyncio.gather(*calls)
                outcomes["doomed"], outcomes["survivor"] = list(results[:15]), list(results[15:])

            asyncio.run(run())

        thread = threading.Thread(target=load)
        thread.start()
        wait_until(lambda: len(fake.requests) >= 30, 20, 0.02)  # every stream is under way
        replicas.gateways.started[0].send_signal(signal.SIGKILL)
        replicas.gateways.started[0].wait()
        thread.join(60)
        assert outcomes["survivor"] == ["done"] * 15, outcomes
        assert "cut" in outcomes["doomed"]
        assert call(survivor, BODY) == 200
        flush(survivor)
        wait_until(lambda: open_reservations() == 0, 30)  # released by the survivor's sweeper
        replicas.restart(0)
        assert call(replicas.urls[0], BODY) == 200
        for url in replicas.urls:
            flush(url)
        balance, total, kinds = ledger()
        assert balance == total and open_reservations() == 0, kinds


def test_tasks_of_a_killed_replica_are_taken_over_by_the_survivor_billed_once_and_announced(
    stack: ExitStack, tmp_path: Path
) -> None:
    fake = FakeKling(FakeKlingKnobs(step_s=0.05, keys={KLING_ACCESS: KLING_SECRET}, hold=True))
    kling = stack.enter_context(serve_in_thread(fake.app))
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    channel = {"name": "kling", "type": "kling", "base_url": kling, "secrets": [f"{KLING_ACCESS}|{KLING_SECRET}"],
               "models": ["kling-v1"]}  # fmt: skip
    tables = {
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.3, "lease_s": 1.0},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},
    }
    prices = [{"model": "kling-v1", "mode": "per_call", "per_call": 100_000}]
    with cluster(tmp_path, [], channels=[channel], prices=prices, tables=tables) as replicas:
        doomed, survivor = replicas.start(2)
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        ids = []
        for i in range(5):
            body = {"model_name": "kling-v1", "prompt": f"a fox {i}", "callback_url": hook_url}
            answer = httpx.post(f"{doomed}/v1/videos/text2video", json=body, headers=headers, timeout=30)
            ids.append(answer.json()["data"]["task_id"])

        def status(task_id: str) -> str:
            answer = httpx.get(f"{survivor}/v1/videos/text2video/{task_id}", headers=headers, timeout=30)
            return str(answer.json()["data"]["task_status"])

        wait_until(lambda: {status(t) for t in ids} == {"processing"})  # polled, held upstream
        replicas.gateways.started[0].send_signal(signal.SIGKILL)
        replicas.gateways.started[0].wait()
        fake.knobs.hold = False
        fake.release()
        wait_until(lambda: {status(t) for t in ids} == {"succeed"}, 60)
        flush(survivor)
        balance, total, kinds = ledger()
        assert balance == total == 10**12 - 5 * 100_000 and kinds == {"topup": 1, "reserve": 5, "settle": 5}, kinds

        def announced() -> bool:
            bodies = [orjson.loads(body) for _, body in list(hook.received)]
            return all(any(b["task_id"] == t and b["task_status"] == "succeed" for b in bodies) for t in ids)

        wait_until(announced, 30)
