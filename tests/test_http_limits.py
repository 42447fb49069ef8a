"""Request heads are bounded in size, field count and time, so one client cannot stall the others (issue #9)."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from serve_process import serving

HEADER_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """One `omnirelay serve` with small timeouts: (base URL, port)."""
    folder = tmp_path_factory.mktemp("limits")
    config = folder / "omnirelay.toml"
    config.write_text(
        "local_provider = false\n[server]\n"
        f"header_timeout_s = {HEADER_TIMEOUT_S}\nkeep_alive_timeout_s = 1.0\n"
        "max_header_bytes = 16384\nmax_headers = 50\n"
    )
    with serving(config, folder / "serve.log") as url:
        yield url, int(urlsplit(url).port or 0)


def _exchange(port: int, payload: bytes, wait: float = 10.0) -> tuple[bytes, float]:
    """Send ``payload``, read until the server closes; what came back and how long it took."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(wait)
        if payload:
            sock.sendall(payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received, time.monotonic() - started


def test_a_huge_header_gets_431_quickly_while_others_are_served(gateway: tuple[str, int]) -> None:
    url, port = gateway
    outcome: list[tuple[bytes, float]] = []
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
    sender = threading.Thread(target=lambda: outcome.append(_exchange(port, big)))
    sender.start()
    started = time.monotonic()
    assert httpx.get(f"{url}/healthz").status_code == 200
    assert time.monotonic() - started < 1.0
    sender.join(15)
    [(answer, elapsed)] = outcome
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert elapsed < 3.0


def test_too_many_header_fields_get_431(gateway: tuple[str, int]) -> None:
    _, port = gateway
    fields = [b"X-Field-%d: 1\r\n" % n for n in range(60)]
    answer, _ = _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(fields) + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + b"".join(fields[:40])
    fine, _ = _exchange(port, head + b"\r\n")
    assert fine.startswith(b"HTTP/1.1 200 "), fine[:200]


def test_a_client_that_stalls_mid_request_line_gets_408_after_the_timeout(gateway: tuple[str, int]) -> None:
    _, port = gateway
    answer, elapsed = _exchange(port, b"GET /heal")
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert HEADER_TIMEOUT_S * 0.8 <= elapsed < HEADER_TIMEOUT_S + 3
    silent, elapsed = _exchange(port, b"")
    assert silent == b"" and elapsed < HEADER_TIMEOUT_S + 3


def test_a_slow_trickle_of_header_bytes_is_cut_off_too(gateway: tuple[str, int]) -> None:
    """Each byte arriving in time does not restart the clock: the whole head has the timeout."""
    _, port = gateway
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        while time.monotonic() - started < 8 and not select.select([sock], [], [], 0.2)[0]:
            sock.sendall(b"X: y\r\n")
        answered = time.monotonic() - started
        assert sock.recv(65536).startswith(b"HTTP/1.1 408 ")
    assert HEADER_TIMEOUT_S * 0.8 <= answered < HEADER_TIMEOUT_S + 1.5


def test_an_idle_kept_alive_connection_is_closed(gateway: tuple[str, int]) -> None:
    _, port = gateway
    answer, elapsed = _exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert 0.5 < elapsed < 4
