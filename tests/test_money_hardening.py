"""Money stays exact when things go wrong: lying upstreams, bad amounts, cut streams, a refused row.

Each test here failed on the gateway before issue #9's money fixes (see docs/operate-billing.md,
"What is billed when things go wrong").
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import sqlalchemy as sa
from pydantic import ValidationError
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
from omnirelay.app import create_app
from omnirelay.billing.amounts import MAX_AMOUNT
from omnirelay.db.engine import create_engine, now_ms
from omnirelay.db.writebehind import LedgerRow, WriteBehind
from omnirelay.providers.anthropic.transform_upstream import openai_usage
from omnirelay.providers.base import Usage
from omnirelay.providers.openai_compat.audio import reported_seconds
from omnirelay.providers.openai_compat.images_transform import images_usage
from omnirelay.providers.rerank.cohere import cohere_result
from omnirelay.providers.rerank.jina import jina_result
from omnirelay.runtime import Runtime
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread

START = 10**12
REPLY = "one two three four five six"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city, today and for the next seven days, in metric units.",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


def _client(gateway: Gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)


def _gateway(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], **knobs: Any
) -> tuple[Gateway, Upstream]:
    upstream = make_upstream(**knobs)
    gateway = make_gateway(**funded(START), channels=[channel("main", upstream)], prices=[per_token()])
    return gateway, upstream


def _wait_for_log(gateway: Gateway) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    logs = gateway.logs()
    while not logs and time.monotonic() < deadline:
        time.sleep(0.05)
        logs = gateway.logs()
    assert logs, "the call was never logged"
    return logs[0]


async def _entries(url: str) -> list[tuple[str, int]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT kind, amount FROM ledger_entries ORDER BY id"))
            return [(str(r[0]), int(r[1])) for r in rows]
    finally:
        await engine.dispose()


async def _dead_letters(url: str) -> list[dict[str, Any]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT source, payload FROM dead_letters ORDER BY id"))
            return [{"source": r[0], **json.loads(r[1])} for r in rows]
    finally:
        await engine.dispose()


def _assert_charged(gateway: Gateway, cost: int) -> None:
    """The account paid ``cost``, the key's spend is ``cost``, and the ledger balances."""
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == START - cost
    assert gateway.admin_json("GET", "/api/admin/keys/1")["spent"] == cost
    assert_ledger_balanced(gateway)


# -- usage an upstream reports ---------------------------------------------------------------


@pytest.mark.parametrize(
    "lie",
    [{"prompt_tokens": -1_000_000}, {"completion_tokens": True}, {"prompt_tokens": 2**63 + 5}],
    ids=["negative", "boolean", "beyond-int64"],
)
def test_usage_that_is_not_a_count_is_replaced_by_the_gateways_own_count(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], lie: dict[str, Any]
) -> None:
    gateway, _ = _gateway(make_upstream, make_gateway, reply=REPLY, usage_override=lie)
    messages = [{"role": "user", "content": "count these words"}]
    for _ in range(2):  # the second call proves the first one left the store writable
        _client(gateway).chat.completions.create(model="gpt-test", messages=messages)
    logs = gateway.logs()
    assert len(logs) == 2
    for log in logs:
        assert log["completion_tokens"] == 6, "the reply counted with tiktoken, not the upstream's number"
        assert 0 < log["prompt_tokens"] < 100
        assert log["cost"] == log["prompt_tokens"] * 1 + log["completion_tokens"] * 2
    _assert_charged(gateway, sum(log["cost"] for log in logs))


def test_usage_beyond_the_hold_is_charged_up_to_the_hold_and_the_rest_flagged(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], database_url: str
) -> None:
    gateway, _ = _gateway(make_upstream, make_gateway, reply=REPLY, usage_override={"completion_tokens": 10**8})
    _client(gateway).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "hi"}], max_tokens=10
    )
    log = gateway.logs()[0]
    entries = asyncio.run(_entries(database_url))
    hold = -next(amount for kind, amount in entries if kind == "reserve")
    assert ("settle", 0) in entries, "the whole hold is kept, nothing more"
    assert log["cost"] == hold
    assert log["completion_tokens"] == 10**8, "the log keeps what the upstream reported"
    assert log["unbilled"] == log["prompt_tokens"] + 2 * 10**8 - hold > 0
    _assert_charged(gateway, hold)


def test_a_lying_upstream_cannot_defeat_a_keys_spend_cap(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(reply=REPLY, usage_override={"prompt_tokens": -(10**9)})
    gateway = make_gateway(**funded(START, spend_cap=300), channels=[channel("main", upstream)], prices=[per_token()])
    http = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=30)
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 10}
    statuses = [http.post("/v1/chat/completions", json=body).status_code for _ in range(30)]
    gateway.flush()
    spent = gateway.admin_json("GET", "/api/admin/keys/1")["spent"]
    assert 0 < spent <= 300
    assert statuses.count(200) < 30 and statuses[-1] == 402
    assert_ledger_balanced(gateway)


def test_every_providers_usage_goes_through_one_check() -> None:
    assert Usage.from_wire({"prompt_tokens": -1, "completion_tokens": 2}) is None
    assert Usage.from_wire({"prompt_tokens": 3, "completion_tokens": False}) is None
    assert Usage.from_wire({"prompt_tokens": 3.0, "completion_tokens": 2}) is None
    assert Usage.from_wire({"prompt_tokens": 3, "completion_tokens": 2}) == Usage(3, 2)
    assert images_usage({"input_tokens": -5, "output_tokens": 10}) is None
    assert jina_result({"results": [], "usage": {"total_tokens": 1e30}}).usage is None
    assert cohere_result({"results": [], "meta": {"billed_units": {"input_tokens": 1e30}}}).usage is None
    assert openai_usage({"input_tokens": -500, "output_tokens": 3}) == {}
    assert openai_usage({"input_tokens": True, "output_tokens": 3}) == {}
    assert reported_seconds(b'{"duration": -30}', "application/json") is None
    assert reported_seconds(b'{"usage": {"type": "duration", "seconds": 1e300}}', "application/json") is None
    with pytest.raises(ValueError):
        Usage(-1, 0)


# -- streams that end early ------------------------------------------------------------------


def test_a_stream_cut_by_max_request_s_is_billed_for_what_was_delivered(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream(reply=" ".join(f"w{i}" for i in range(60)), chunk_delay_s=0.05)
    gateway = make_gateway(
        **funded(START), channels=[channel("main", upstream)], prices=[per_token()], relay={"max_request_s": 1.0}
    )
    stream = _client(gateway).chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": "go"}], stream=True
    )
    received: list[str] = []
    with pytest.raises(openai.APIError, match="max_request_s"):
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert 5 < len(received) < 60
    log = _wait_for_log(gateway)
    assert log["status"] == 504 and "max_request_s" in log["error"]
    assert 0 < log["completion_tokens"] < 60 * 2
    assert log["cost"] == log["prompt_tokens"] * 1 + log["completion_tokens"] * 2 > 0
    _assert_charged(gateway, log["cost"])


def _read_then_leave(gateway: Gateway, **request: Any) -> None:
    stream = _client(gateway).chat.completions.create(model="gpt-test", stream=True, **request)
    received = 0
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            received += 1
        if received == 5:
            break
    stream.close()


def test_a_client_leaving_mid_stream_is_billed_on_the_usage_the_upstream_already_sent(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    reply = " ".join(f"w{i}" for i in range(40))
    gateway, _ = _gateway(
        make_upstream,
        make_gateway,
        reply=reply,
        chunk_delay_s=0.05,
        continuous_usage=True,
        usage_override={"prompt_tokens": 4321},
    )
    messages = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, IMAGE]}]
    _read_then_leave(gateway, messages=messages, tools=TOOLS, tool_choice="none")
    log = _wait_for_log(gateway)
    assert log["status"] == 499
    assert log["prompt_tokens"] == 4321, "the upstream's own count of the prompt"
    assert 5 <= log["completion_tokens"] < 40
    assert log["cost"] == 4321 + 2 * log["completion_tokens"]
    _assert_charged(gateway, log["cost"])


def test_a_client_leaving_mid_stream_without_usage_is_billed_for_the_whole_request(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    reply = " ".join(f"w{i}" for i in range(40))
    gateway, _ = _gateway(make_upstream, make_gateway, reply=reply, chunk_delay_s=0.05, include_usage=False)
    messages = [{"role": "user", "content": [{"type": "text", "text": "what is this?"}, IMAGE]}]
    _read_then_leave(gateway, messages=messages, tools=TOOLS, tool_choice="none")
    log = _wait_for_log(gateway)
    assert log["status"] == 499
    image, tools = 765, 40  # an image at high detail; the tool's definition is some 50 tokens
    assert log["prompt_tokens"] > image + tools, "images and tool definitions are part of the prompt"
    _assert_charged(gateway, log["cost"])


# -- amounts an operator enters --------------------------------------------------------------


def test_a_topup_that_is_not_a_bounded_whole_number_is_refused(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(1000))
    for amount in (True, "100", 1.5, 2**63 - 1, MAX_AMOUNT + 1, -(2**63)):
        response = gateway.admin.post("/api/admin/accounts/1/topups", json={"amount": amount})
        assert response.status_code == 400, (amount, response.text)
        assert response.json()["error"]["param"] == "amount"
    assert gateway.admin_json("GET", "/api/admin/accounts/1")["balance"] == 1000
    assert gateway.admin_json("POST", "/api/admin/accounts/1/topups", json={"amount": 5})["balance"] == 1005
    assert_ledger_balanced(gateway)


def test_balances_spend_caps_and_opening_balances_are_bounded_whole_numbers(
    make_gateway: Callable[..., Gateway],
) -> None:
    gateway = make_gateway(**funded(MAX_AMOUNT - 10))
    admin = gateway.admin
    for balance in (True, "5", 2**63 - 1, -1):
        response = admin.post("/api/admin/accounts", json={"name": f"a{balance!s}", "balance": balance})
        assert response.status_code == 400 and response.json()["error"]["param"] == "balance", response.text
    for cap in (True, "5", 2**63, -1):
        response = admin.post("/api/admin/keys", json={"account_id": 1, "spend_cap": cap})
        assert response.status_code == 400 and response.json()["error"]["param"] == "spend_cap", response.text
        response = admin.patch("/api/admin/keys/1", json={"spend_cap": cap})
        assert response.status_code == 400 and response.json()["error"]["param"] == "spend_cap", response.text
    over = admin.post("/api/admin/accounts/1/topups", json={"amount": 11})
    assert over.status_code == 400 and "beyond" in over.json()["error"]["message"], over.text
    assert gateway.admin_json("POST", "/api/admin/accounts/1/topups", json={"amount": 10})["balance"] == MAX_AMOUNT
    assert_ledger_balanced(gateway)


def _declared(balance: Any = 5, spend_cap: Any = 5) -> dict[str, Any]:
    return {
        "accounts": [{"name": "a", "balance": balance}],
        "keys": [{"account": "a", "name": "k", "key": USER_KEY, "spend_cap": spend_cap}],
    }


@pytest.mark.parametrize(
    "declared",
    [_declared(balance=2**63 - 1), _declared(balance=True), _declared(balance="100"), _declared(spend_cap=True)],
    ids=["huge-balance", "boolean-balance", "text-balance", "boolean-cap"],
)
def test_the_settings_file_refuses_unbounded_or_non_integer_amounts(declared: dict[str, Any]) -> None:
    Settings.model_validate(_declared())  # the same, with good amounts, is accepted
    with pytest.raises(ValidationError):
        Settings.model_validate(declared)


# -- the write-behind ------------------------------------------------------------------------


class _Served:
    """A gateway whose runtime the test can reach (to put a row no intake would take in its writer)."""

    def __init__(self, settings: Settings) -> None:
        self.runtime: Runtime | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stack = ExitStack()
        self.url = self._stack.enter_context(serve_in_thread(create_app(settings, on_ready=self._ready)))
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        self.admin = self._stack.enter_context(httpx.Client(base_url=self.url, headers=headers, timeout=30))

    def _ready(self, runtime: Runtime) -> None:
        self.runtime, self.loop = runtime, asyncio.get_running_loop()

    def buffer(self, row: LedgerRow) -> None:
        assert self.loop is not None and self.runtime is not None
        self.loop.call_soon_threadsafe(self.runtime.writer.add_entry, row)

    def call(self) -> None:
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
        assert httpx.post(self.url + "/v1/chat/completions", json=body, headers=headers).status_code == 200

    def stop(self) -> None:
        self._stack.close()


@pytest.fixture
def served(make_upstream: Callable[..., Upstream], tmp_path: Path, database_url: str) -> Iterator[_Served]:
    upstream = make_upstream()
    settings = Settings.model_validate(
        {
            "home": tmp_path / "home",
            "database_url": database_url,
            "admin_key": ADMIN_KEY,
            "secret_key": "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc=",
            "writer": {"flush_interval_s": 60, "batch_size": 2000},  # only the admin API and shutdown flush
            "cache_refresh_s": 0.2,
            **funded(START),
            "channels": [channel("main", upstream)],
            "prices": [{"model": "gpt-test", "mode": "per_call", "per_call": 100}],
        }
    )
    gateway = _Served(settings)
    yield gateway
    gateway.stop()


def test_a_row_the_store_refuses_is_set_aside_and_never_blocks_the_rows_behind_it(
    served: _Served, database_url: str
) -> None:
    served.buffer(LedgerRow(1, None, "poison-1", "adjust", 2**63, now_ms()))
    served.call()
    account = served.admin.get("/api/admin/accounts/1")
    assert account.status_code == 200, account.text
    assert account.json()["balance"] == START - 100, "the call behind the refused row was committed"
    served.buffer(LedgerRow(999, None, "poison-2", "adjust", 5, now_ms()))  # no such account: refused
    served.call()
    served.stop()  # shutdown commits what is buffered, refused row or not
    entries = asyncio.run(_entries(database_url))
    assert [kind for kind, _ in entries].count("settle") == 2
    assert sum(amount for _, amount in entries) == START - 200
    letters = asyncio.run(_dead_letters(database_url))
    assert [(d["source"], d["request_id"], d["amount"]) for d in letters] == [
        ("ledger_entry", "poison-1", 2**63),
        ("ledger_entry", "poison-2", 5),
    ]


def test_rows_a_store_that_is_away_cannot_take_at_shutdown_are_spilled_to_a_file(tmp_path: Path) -> None:
    async def scenario() -> None:
        engine = create_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
        spill = tmp_path / "dead-letters.jsonl"
        writer = WriteBehind(engine, flush_interval_s=60, batch_size=100, spill_path=spill)
        writer.add_entry(LedgerRow(1, 2, "req-1", "reserve", -100, now_ms()))
        writer.add_log({"request_id": "req-1", "cost": 100})
        with pytest.raises((OSError, sa.exc.SQLAlchemyError)):
            await writer.flush()
        assert writer.backlog == 2, "a store that is away keeps the batch for the next try"
        await writer.stop()
        assert writer.backlog == 0
        lines = [json.loads(line) for line in spill.read_text().splitlines()]
        assert [(line["source"], line["row"]["request_id"]) for line in lines] == [
            ("ledger_entry", "req-1"),
            ("request_log", "req-1"),
        ]
        await engine.dispose()

    asyncio.run(scenario())
