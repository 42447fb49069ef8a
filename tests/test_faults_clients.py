"""Fault suite (issue #15): slow and idle clients cannot starve the others.

A real ``omnirelay serve`` (its own process, so the clients below do not share its event loop)
holds 1,000 idle kept-alive connections and 200 streams whose clients never read, while another
client's ordinary chat calls are all served quickly. The stalled streams are then cut by
``relay.client_write_timeout_s``, settled once each, their concurrency slots given back. The
process's memory should come back near where it started once the connections close: today it does
not, and the test ends as an expected failure saying so (docs/operate-scale-out.md#the-fault-suite).
Past ``server.max_connections`` a request gets a plain 503 instead of the gateway holding ever more.

Run alone: ``.venv/bin/pytest -p no:xdist -m fault tests/test_faults_clients.py`` (about a minute).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conftest import ADMIN_KEY, POSTGRES_URL, USER_KEY
from durability_support import closed_entries, kinds_of
from fault_support import BODY, Cluster, burst, cluster, ledger, open_reservations, wait_until
from omnirelay.http_limits import connection_limit
from omnirelay.settings import ServerSettings
from omnirelay.testing import FakeOpenAI, FakeOpenAIKnobs, serve_in_thread

pytestmark = [pytest.mark.fault, pytest.mark.slow]

IDLE, STALLED, ORDINARY = 1000, 200, 50
WRITE_TIMEOUT_S = 20.0
"""``relay.client_write_timeout_s``: long enough for the ordinary calls to run while the streams hang."""
REPLY = " ".join(["x" * 1000] * 4000)
"""4 MB in 4,000 words of 1 KB: more than the socket buffers between a stalled reader and the gateway
hold (some 3 MB on Linux loopback), in chunks of some 32 KB so that filling them costs little CPU."""
STALLED_BODY = {**BODY, "model": "gpt-stall", "stream": True}
LATENCY_BOUND_S = 2.0
"""Measured on this 2-core machine under other load: p50 0.05 s, max 0.1 s with everything above hanging
(on connections opened first: the first calls that also opened one took up to 2.6 s in some runs)."""
RSS_SLACK_KIB = 64 * 1024


class Held:
    """ASGI middleware around the stalled streams' upstream: holds every request until :attr:`release`
    is set (so all streams start together), and counts the body bytes it sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.waiting, self.sent, self.release = app, 0, 0, threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.waiting += 1
        while not self.release.is_set():
            await asyncio.sleep(0.05)

        async def counted(message: Message) -> None:
            self.sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counted)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


@contextmanager
def _enough_files(needed: int) -> Iterator[None]:
    """This process (and the gateway it starts) may open ``needed`` files, or the test is skipped."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            pytest.skip(f"needs {needed} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _head(method: str, path: str, port: int, body: bytes = b"", auth: bool = False) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    if auth:
        lines.append(f"Authorization: Bearer {USER_KEY}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> int:
    """One ``GET /healthz`` on a kept-alive connection; its status."""
    writer.write(_head("GET", "/healthz", port))
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = next(int(line.split(":")[1]) for line in head.split("\r\n") if line.lower().startswith("content-length"))
    await reader.readexactly(length)
    return int(head.split()[1])


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _idle_connections(port: int, count: int) -> list[Connection]:
    """``count`` connections, each having made one request and now idle (kept alive)."""
    gate = asyncio.Semaphore(100)

    async def one() -> Connection:
        async with gate:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert await _request(reader, writer, port) == 200
            return reader, writer

    return list(await asyncio.gather(*(one() for _ in range(count))))


def _stalled_stream(port: int) -> socket.socket:
    """A streamed chat request on a socket with a tiny receive buffer, never read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(_head("POST", "/v1/chat/completions", port, orjson.dumps(STALLED_BODY), auth=True))
    return sock


async def _ordinary_calls(url: str, count: int, parallel: int = 5) -> list[tuple[int, float]]:
    """``count`` chat calls from one client, ``parallel`` at a time: (status, seconds) of each."""
    gate = asyncio.Semaphore(parallel)
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in range(parallel)))  # the connections, untimed

        async def one() -> tuple[int, float]:
            async with gate:
                started = time.monotonic()
                response = await client.post("/v1/chat/completions", json=BODY)
                return response.status_code, time.monotonic() - started

        return list(await asyncio.gather(*(one() for _ in range(count))))


def _logs(url: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    answer = httpx.get(f"{url}/api/admin/logs", params={"flush": "true", "limit": 500}, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def _stream_rows(url: str) -> list[dict[str, Any]]:
    return [row for row in _logs(url) if row["stream"]]


def _warm_up(url: str) -> None:
    """Every code path the test takes, once, so the baseline memory has them loaded."""
    assert burst([url], 5, BODY) == [200] * 5
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {USER_KEY}"}) as client:
        for _ in range(2):
            with client.stream("POST", f"{url}/v1/chat/completions", json={**BODY, "stream": True}) as answer:
                assert answer.status_code == 200 and b"[DONE]" in answer.read()


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


async def _all_blocked(held: Held, pid: int) -> None:
    """The stalled streams' upstream sent all it had, and the gateway has relayed what it could: it
    used under a tenth of a core for a second (every stream is blocked on its client)."""
    while True:
        sent, ticks = held.sent, _cpu_ticks(pid)
        await asyncio.sleep(1.0)
        if held.sent == sent and _cpu_ticks(pid) - ticks < os.sysconf("SC_CLK_TCK") // 10:
            return


async def _hang_and_serve(replicas: Cluster, held: Held) -> dict[str, Any]:
    """Open the idle connections and the stalled streams, then the ordinary calls while they hang."""
    url, port = replicas.urls[0], replicas.ports[0]
    idle = await _idle_connections(port, IDLE)
    stalled = [_stalled_stream(port) for _ in range(STALLED)]
    try:
        while held.waiting < STALLED:
            await asyncio.sleep(0.1)
        held.release.set()
        await _all_blocked(held, replicas.gateways.started[0].pid)
        seen: dict[str, Any] = {"memory_kib": _rss_kib(replicas.gateways.started[0].pid)}
        seen["calls"] = await _ordinary_calls(url, ORDINARY)
        seen["cut_before_the_calls_ended"] = len(_stream_rows(url)) - 2  # the warm-up's two streams
        seen["still_kept_alive"] = [await _request(r, w, port) for r, w in idle[:: IDLE // 20]]
        seen["stalled"] = stalled
        return seen
    except BaseException:
        for sock in stalled:
            sock.close()
        raise
    finally:
        for _, writer in idle:
            writer.close()
        await asyncio.gather(*(writer.wait_closed() for _, writer in idle), return_exceptions=True)


def _assert_settled_once_each(replicas: Cluster, rows: list[dict[str, Any]]) -> None:
    url, port = replicas.urls[0], replicas.ports[0]
    cut = [row for row in rows if row["status"] == 499]
    assert len(cut) == STALLED, [row["status"] for row in rows]
    served = len(_logs(url))
    entries = closed_entries(port, POSTGRES_URL, served)
    for row in cut:
        assert kinds_of(entries, row["request_id"]) == {"reserve": 1, "settle": 1}, row
    balance, total, kinds = ledger()
    assert balance == total and open_reservations() == 0, kinds


def test_idle_connections_and_stalled_streams_do_not_stop_other_clients_and_give_everything_back(
    stack: ExitStack, tmp_path: Path
) -> None:
    fake = FakeOpenAI()
    upstream = stack.enter_context(serve_in_thread(fake.app))
    held = Held(FakeOpenAI(FakeOpenAIKnobs(reply=REPLY, chunks=len(REPLY) // 32_000, continuous_usage=True)).app)
    stalling = stack.enter_context(serve_in_thread(held))
    channel = {"name": "stall", "base_url": stalling + "/v1", "secrets": ["sk-upstream"], "models": ["gpt-stall"]}
    prices = [{"model": "gpt-stall", "mode": "per_call", "per_call": 100}]
    tables = {"server": {"keep_alive_timeout_s": 120.0}, "relay": {"client_write_timeout_s": WRITE_TIMEOUT_S}}
    stack.enter_context(_enough_files(2 * (IDLE + STALLED) + 1000))
    key = {"max_concurrency": STALLED + 10}
    with cluster(
        tmp_path, [upstream], key=key, tables=tables, channels=[channel], prices=prices, redis_url=None
    ) as replicas:
        url = replicas.start(1)[0]
        pid = replicas.gateways.started[0].pid
        _warm_up(url)
        baseline = _rss_kib(pid)
        seen = asyncio.run(_hang_and_serve(replicas, held))
        latencies = sorted(seconds for _, seconds in seen["calls"])
        measured = (f"RSS {baseline} KiB, {seen['memory_kib']} KiB while held; calls p50 "
                    f"{statistics.median(latencies):.3f} s, max {latencies[-1]:.3f} s")  # fmt: skip
        assert [status for status, _ in seen["calls"]] == [200] * ORDINARY, seen["calls"]
        assert latencies[-1] < LATENCY_BOUND_S, measured
        assert seen["cut_before_the_calls_ended"] == 0, "the stalled streams ended before the calls did"
        assert seen["still_kept_alive"] == [200] * 20
        try:  # the stalled clients stay connected: their streams are cut by the gateway, not by them
            rows = wait_until(lambda: (rows := _stream_rows(url)) and len(rows) >= STALLED + 2 and rows, 60)
        finally:
            for sock in seen["stalled"]:
                sock.close()
        _assert_settled_once_each(replicas, rows)
        fake.knobs.latency_s = 0.5  # every call of the burst is in flight at once: each needs a slot
        assert burst([url], STALLED + 10, BODY) == [200] * (STALLED + 10)
        deadline = time.monotonic() + 3
        while (after := _rss_kib(pid)) > baseline + RSS_SLACK_KIB and time.monotonic() < deadline:
            time.sleep(0.5)
        if after > baseline + RSS_SLACK_KIB:
            # each stream keeps every frame it delivered (relay/chat_stream.py ``_delivered``), finished
            # sessions wait in reference cycles for a full collection, and glibc keeps the freed heap
            pytest.xfail(f"known: the memory of stalled streams is not given back to the system: {measured}, "
                         f"{after} KiB after (docs/operate-scale-out.md#the-fault-suite)")  # fmt: skip


def test_the_default_connection_limit_is_half_the_open_file_limit() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert connection_limit(ServerSettings()) == max(64, (soft - 100) // 2)
    assert connection_limit(ServerSettings(max_connections=7)) == 7


async def _at_the_limit(port: int, limit: int) -> dict[str, Any]:
    idle = await _idle_connections(port, limit)
    try:
        seen: dict[str, Any] = {}
        async with httpx.AsyncClient(timeout=10) as client:
            refused = await client.get(f"http://127.0.0.1:{port}/healthz")
            seen["refused"] = (refused.status_code, refused.headers.get("connection"))
            reader, writer = idle.pop()
            writer.close()
            await writer.wait_closed()
            await asyncio.sleep(0.3)
            seen["after_one_left"] = (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code
        seen["kept"] = [await _request(r, w, port) for r, w in idle[:3]]
        return seen
    finally:
        for _, writer in idle:
            writer.close()


def _silent_connection_closed_after(port: int) -> float:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert sock.recv(1) == b""  # closed without an answer
    return time.monotonic() - started


def test_past_max_connections_a_request_gets_503_and_heads_are_bounded(stack: ExitStack, tmp_path: Path) -> None:
    """The connection limit, the head size limit and the head timeout, on a real ``omnirelay serve``."""
    upstream = stack.enter_context(serve_in_thread(FakeOpenAI().app))
    server = {"max_connections": 20, "max_header_bytes": 8192, "header_timeout_s": 1.0, "keep_alive_timeout_s": 30.0}
    with cluster(tmp_path, [upstream], tables={"server": server}, redis_url=None) as replicas:
        url = replicas.start(1)[0]
        seen = asyncio.run(_at_the_limit(replicas.ports[0], 20))
        assert seen["refused"] == (503, "close"), seen
        assert seen["after_one_left"] == 200 and seen["kept"] == [200] * 3, seen
        big = httpx.get(f"{url}/healthz", headers={"X-Padding": "p" * 10_000}, timeout=10)
        assert big.status_code == 431
        assert _silent_connection_closed_after(replicas.ports[0]) < 3.0
