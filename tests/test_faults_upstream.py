"""Fault suite (issue #15): every way channel A can fail its upstream call sends the clients to
channel B; A's breaker takes it out of rotation, and once A is healthy again it is back after the
cool-down. Faults before the first byte cost the client nothing (failover); faults after it end
that one answer with an error the client can see, billed for what was delivered at most."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import openai
import pytest

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token, sqlite_only

pytestmark = [pytest.mark.fault, sqlite_only]

BEFORE_FIRST_BYTE: dict[str, dict[str, Any]] = {
    "500": {"status": 500},
    "timeout": {"latency_s": 2.0},
    "reset before the first byte": {"reset_before_first_chunk": True},
    "garbage SSE": {"garbage_stream": True},
}
AFTER_FIRST_BYTE: dict[str, dict[str, Any]] = {
    "cut mid-stream": {"cut_stream_after": 2},
    "slow drip": {"chunk_delay_s": 2.0},
}
HEALTHY: dict[str, Any] = {"status": None, "latency_s": 0.0, "reset_before_first_chunk": False,
                           "garbage_stream": False, "cut_stream_after": None, "chunk_delay_s": 0.0}  # fmt: skip


def _gateway(make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]) -> tuple[Gateway, Upstream]:
    first = make_upstream(reply="from A one two three four five six")
    second = make_upstream(reply="from B")
    gateway = make_gateway(
        **funded(),
        channels=[channel("a", first, priority=10), channel("b", second, priority=0)],
        prices=[per_token()],
        relay={"breaker_failures": 2, "breaker_cooldown_s": 1.0, "read_timeout_s": 0.7, "probe_interval_s": 0.3},
    )
    return gateway, first


def _stream(gateway: Gateway) -> str:
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0, timeout=20)
    messages = [{"role": "user", "content": "hi"}]
    chunks = client.chat.completions.create(model="gpt-test", messages=messages, stream=True)  # type: ignore[arg-type]
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def _attempt(gateway: Gateway) -> str:
    try:
        return _stream(gateway)
    except openai.APIError as exc:
        return f"error: {exc}"


def _back_to_a(gateway: Gateway, first: Upstream) -> None:
    for name, value in HEALTHY.items():
        setattr(first.knobs, name, value)
    deadline = time.monotonic() + 10
    while not _attempt(gateway).startswith("from A"):
        assert time.monotonic() < deadline, "channel A never came back into rotation"
        time.sleep(0.2)


@pytest.mark.parametrize("fault", list(BEFORE_FIRST_BYTE))
def test_a_fault_before_the_first_byte_fails_over_to_b_and_a_comes_back_once_healthy(
    fault: str, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, first = _gateway(make_upstream, make_gateway)
    for name, value in BEFORE_FIRST_BYTE[fault].items():
        setattr(first.knobs, name, value)
    assert [_attempt(gateway) for _ in range(4)] == ["from B"] * 4
    calls = len(first.chat_requests())
    assert _attempt(gateway) == "from B" and len(first.chat_requests()) == calls  # the breaker is open
    _back_to_a(gateway, first)
    assert_ledger_balanced(gateway)


@pytest.mark.parametrize("fault", list(AFTER_FIRST_BYTE))
def test_a_fault_after_the_first_byte_ends_that_answer_visibly_then_the_breaker_sends_clients_to_b(
    fault: str, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, first = _gateway(make_upstream, make_gateway)
    for name, value in AFTER_FIRST_BYTE[fault].items():
        setattr(first.knobs, name, value)
    broken = [_attempt(gateway) for _ in range(2)]
    assert all(a.startswith("error:") for a in broken), broken
    assert _attempt(gateway) == "from B"
    _back_to_a(gateway, first)
    assert_ledger_balanced(gateway)
