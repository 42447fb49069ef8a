"""Fault suite (issue #15): Redis and PostgreSQL go away under load and come back. Requests fail
cleanly (never a 500, never a hang) while they are away, the replicas recover within seconds without
a restart, and the ledger loses nothing.

The PostgreSQL restart is the machine's own server (``pg_ctlcluster ... restart``): this module runs in
the fault phase, alone (``scripts/check``)."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from conftest import REDIS_URL
from fault_support import call, cluster, flush, ledger, open_reservations, wait_until
from omnirelay.testing import FakeOpenAI, serve_in_thread
from redis_proxy import redis_proxy

pytestmark = [pytest.mark.fault, pytest.mark.slow]
PRICE = 100
BALANCE = 10**9


class Load:
    """Clients calling the replicas one after another until stopped; every (time, status) kept."""

    def __init__(self, urls: list[str], clients: int = 4) -> None:
        self.urls, self.seen, self._stop = urls, list[tuple[float, int]](), threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(clients)]

    def _run(self, i: int) -> None:
        while not self._stop.is_set():
            self.seen.append((time.monotonic(), call(self.urls[i % len(self.urls)], timeout=15)))
            i += 1

    def served(self) -> int:
        return sum(1 for _, status in self.seen if status == 200)

    def after(self, moment: float) -> list[int]:
        return [status for at, status in self.seen if at >= moment]

    @contextmanager
    def running(self) -> Iterator[Load]:
        for thread in self._threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in self._threads:
                thread.join(30)


def _recovered(load: Load, since: float) -> bool:
    return load.after(since)[-5:] == [200] * 5


def test_redis_going_away_under_load_fails_nothing_uncleanly_and_recovers_without_a_restart(
    stack: ExitStack, tmp_path: Path
) -> None:
    upstream = stack.enter_context(serve_in_thread(FakeOpenAI().app))
    proxy = stack.enter_context(redis_proxy(REDIS_URL))
    with cluster(tmp_path, [upstream], redis_url=proxy.url, balance=BALANCE, per_call=PRICE) as replicas:
        load = Load(replicas.start(2))
        with load.running():
            time.sleep(1.0)
            proxy.cut()
            cut = time.monotonic()
            time.sleep(3.0)
            proxy.restore()
            back = time.monotonic()
            wait_until(lambda: _recovered(load, back), 20)
        assert set(load.after(cut)) <= {200, 503}, sorted(set(load.after(cut)))
        assert time.monotonic() - back < 25
        for url in replicas.urls:
            flush(url)
        balance, total, kinds = ledger()
        assert balance == total == BALANCE - PRICE * load.served(), kinds
        assert open_reservations() == 0


def _pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1], "main"


def _restart_postgres(down_s: float) -> None:
    version, name = _pg_cluster()
    base = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name]
    subprocess.run([*base, "stop", "-m", "fast"], check=True, capture_output=True, timeout=60)
    time.sleep(down_s)
    subprocess.run([*base, "start"], check=True, capture_output=True, timeout=60)
    subprocess.run(["pg_isready", "-h", "127.0.0.1", "-t", "30"], check=True, capture_output=True, timeout=60)


def test_postgres_restarting_under_load_loses_nothing_and_the_replicas_recover_without_a_restart(
    stack: ExitStack, tmp_path: Path
) -> None:
    upstream = stack.enter_context(serve_in_thread(FakeOpenAI().app))
    with cluster(tmp_path, [upstream], balance=BALANCE, per_call=PRICE) as replicas:
        load = Load(replicas.start(2))
        with load.running():
            time.sleep(1.0)
            down = time.monotonic()
            _restart_postgres(down_s=2.0)
            back = time.monotonic()
            wait_until(lambda: _recovered(load, back), 30)
        assert set(load.after(down)) <= {200, 503}, sorted(set(load.after(down)))
        wait_until(lambda: _flushed(replicas.urls), 30)
        balance, total, kinds = ledger()
        assert balance == total == BALANCE - PRICE * load.served(), kinds
        assert open_reservations() == 0


def _flushed(urls: list[str]) -> bool:
    try:
        for url in urls:
            flush(url)
    except AssertionError:
        return False
    return True
