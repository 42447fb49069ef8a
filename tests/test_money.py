"""Money is exact: reserve before, settle or refund after, and the ledger always balances."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from conftest import (
    ADMIN_KEY,
    USER_KEY,
    Gateway,
    Upstream,
    assert_ledger_balanced,
    channel,
    funded,
    per_token,
)

PER_CALL = {"model": "gpt-test", "mode": "per_call", "per_call": 100}
BODY = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}


def test_hundred_concurrent_requests_on_a_key_funded_for_fifty(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(latency_s=0.3)
    gateway = make_gateway(**funded(balance=50 * 100), channels=[channel("main", upstream)], prices=[PER_CALL])
    with httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30) as http:
        with ThreadPoolExecutor(100) as pool:
            statuses = list(pool.map(lambda _: http.post("/v1/chat/completions", json=BODY).status_code, range(100)))
    assert statuses.count(200) == 50
    assert statuses.count(402) == 50
    assert len(upstream.chat_requests()) == 50
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 0
    assert_ledger_balanced(gateway)


def test_client_cut_mid_stream_is_billed_for_what_was_delivered(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    reply = " ".join(f"word{i}" for i in range(40))
    upstream = make_upstream(reply=reply, chunk_delay_s=0.05)
    gateway = make_gateway(**funded(), channels=[channel("main", upstream)], prices=[per_token()])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    stream = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "go"}], stream=True)
    received = 0
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received += 1
        if received == 5:
            break
    stream.close()
    deadline = time.monotonic() + 5
    logs = gateway.logs()
    while not logs and time.monotonic() < deadline:
        time.sleep(0.05)
        logs = gateway.logs()
    log = logs[0]
    assert log["status"] == 499
    assert 0 < log["completion_tokens"] < 40 * 2, "billed for the delivered part only"
    assert log["cost"] == log["prompt_tokens"] * 1 + log["completion_tokens"] * 2
    balance = gateway.admin_json("GET", "/api/admin/accounts/1")["balance"]
    assert balance == 10**12 - log["cost"]
    assert_ledger_balanced(gateway)


def test_upstream_failure_mid_stream_refunds_everything(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(reply="a b c d e f g h", cut_stream_after=3)
    gateway = make_gateway(**funded(), channels=[channel("main", upstream)], prices=[per_token()])
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    try:
        list(
            client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "go"}], stream=True)
        )
    except openai.APIError:
        pass
    else:
        raise AssertionError("the client must learn that the stream broke")
    log = gateway.logs()[0]
    assert log["status"] == 502 and log["cost"] == 0
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 10**12
    assert_ledger_balanced(gateway)


def test_topup_reaches_the_running_gateway(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(**funded(balance=0), channels=[channel("main", upstream)], prices=[PER_CALL])
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    assert httpx.post(gateway.url + "/v1/chat/completions", json=BODY, headers=headers).status_code == 402
    gateway.admin_json("POST", "/api/admin/accounts/1/topups", json={"amount": 250})
    statuses = [
        httpx.post(gateway.url + "/v1/chat/completions", json=BODY, headers=headers).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 402]
    assert_ledger_balanced(gateway)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(path: Path, home: Path, database_url: str, upstream: Upstream) -> Path:
    path.write_text(
        f"""
home = "{home}"
database_url = "{database_url}"
admin_key = "{ADMIN_KEY}"
[[accounts]]
name = "acme"
balance = 1000
[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"
[[channels]]
name = "slow"
base_url = "{upstream.url}/v1"
models = ["gpt-test"]
[[prices]]
model = "gpt-test"
mode = "per_call"
per_call = 100
"""
    )
    return path


def _serve(config: Path, port: int, **env: str) -> subprocess.Popen[bytes]:
    environment = {**os.environ, **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port)],
        env=environment,
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


async def _entries(url: str) -> list[tuple[str, int]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT kind, amount FROM ledger_entries ORDER BY id"))
            return [(str(r[0]), int(r[1])) for r in rows]
    finally:
        await engine.dispose()


def test_reservation_of_a_killed_process_is_released_once_its_lease_runs_out(
    make_upstream: Callable[..., Upstream], tmp_path: Path, database_url: str
) -> None:
    upstream = make_upstream(latency_s=30)
    config = _config(tmp_path / "omnirelay.toml", tmp_path / "home", database_url, upstream)
    port = _free_port()
    process = _serve(config, port, OMNIRELAY_BILLING__LEASE_S="1")
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    threading.Thread(
        target=lambda: _swallow(
            lambda: httpx.post(f"http://127.0.0.1:{port}/v1/chat/completions", json=BODY, headers=headers, timeout=60)
        ),
        daemon=True,
    ).start()
    deadline = time.monotonic() + 10
    while ("reserve", -100) not in asyncio.run(_entries(database_url)) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    entries = asyncio.run(_entries(database_url))
    assert ("reserve", -100) in entries and not any(kind in {"settle", "refund"} for kind, _ in entries)
    restarted = _serve(config, port, OMNIRELAY_BILLING__LEASE_S="1")
    try:
        deadline = time.monotonic() + 10  # the killed process's lease (1 s) runs out, then its hold is released
        while ("release", 100) not in (entries := asyncio.run(_entries(database_url))) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [kind for kind, _ in entries if kind != "topup"] == ["reserve", "release"]
        account = httpx.get(
            f"http://127.0.0.1:{port}/api/admin/accounts/1", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        ).json()
        assert account["balance"] == 1000 == sum(amount for _, amount in entries)
    finally:
        restarted.terminate()
        restarted.wait(10)


def _swallow(call: Callable[[], object]) -> None:
    try:
        call()
    except httpx.HTTPError:
        pass
