"""A client that stops reading a stream does not keep its call, its hold or its concurrency slot.

Before issue #9's fix the gateway's write to such a client blocked for ever: ``relay.max_request_s``
only bounded the upstream reads, so the call never ended, its key's only concurrency slot stayed
taken and its reservation stayed open (for another process to release, and for this one to
settle again much later).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import orjson

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token

WORDS = " ".join(f"word{i}" for i in range(1_500_000))
"""About 12 MB of text: more than the kernel's socket buffers and uvicorn's write buffer hold."""


@contextmanager
def stalled_stream(gateway: Gateway, body: dict[str, object]) -> Iterator[socket.socket]:
    """Send a streamed chat request on a raw socket with a tiny receive buffer, and never read."""
    parts = urlsplit(gateway.url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    payload = orjson.dumps(body)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {USER_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    sock.sendall(head.encode() + payload)
    try:
        yield sock
    finally:
        sock.close()


def _chat(gateway: Gateway) -> int:
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    return httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers, timeout=30).status_code


def test_a_client_that_stops_reading_gives_back_its_slot_and_is_settled_once(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(reply=WORDS, chunks=3000)
    gateway = make_gateway(
        **funded(max_concurrency=1),
        channels=[channel("up", upstream)],
        prices=[per_token()],
        relay={"client_write_timeout_s": 0.5},
    )
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "talk"}], "stream": True}
    with stalled_stream(gateway, body):
        time.sleep(0.5)  # the stream is under way: the key's only slot is taken
        deadline = time.monotonic() + 15
        statuses = [_chat(gateway)]
        while statuses[-1] == 429 and time.monotonic() < deadline:
            time.sleep(0.2)
            statuses.append(_chat(gateway))
        assert statuses[-1] == 200, f"the stalled stream never gave its slot back: {statuses[-5:]}"
        logs = gateway.logs(limit=10)
        stalled = [row for row in logs if row["stream"]]
        assert len(stalled) == 1 and stalled[0]["status"] == 499, stalled
        request_id = stalled[0]["request_id"]
        entries = gateway.admin_json("GET", "/api/admin/accounts/1/ledger", params={"limit": 50})["data"]
        kinds = sorted(e["kind"] for e in entries if e["request_id"] == request_id)
        assert kinds == ["reserve", "settle"], kinds
        assert stalled[0]["cost"] > 0  # what was delivered before the stall is billed
    assert_ledger_balanced(gateway)
