"""Bad input gets its family's 4xx, never a 500; and the local models' work is bounded per process.

Each class of input that used to fail deep inside a handler (a field of the wrong type, a key
limit of 0, an id beyond the store's integers, a webhook of an unknown account, a form of
thousands of parts, one local-model call too many) goes through real HTTP to a real gateway.
Nothing reaches an upstream and nothing is charged.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from conftest import USER_KEY, Gateway, Upstream, assert_ledger_balanced, channel, funded, per_token, sqlite_only
from omnirelay.cli import app as cli_app
from omnirelay.db.tables import api_keys, config_revision
from omnirelay.errors import Overloaded
from omnirelay.providers.local.workers import LocalWork
from omnirelay.settings import LocalSettings, SettingsError, load_settings

BALANCE = 10**12
HI = [{"role": "user", "content": "hi"}]
BEYOND_64 = str(2**64 + 5)
BEYOND_32 = str(2**40)  # fits SQLite, not PostgreSQL's 32-bit ids
DIGITS_5000 = "9" * 5000
SUPERSCRIPT_TWO = "\u00b2"  # str.isdigit() says yes, int() says no


def user(gateway: Gateway) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=60)


def balance(gateway: Gateway) -> int:
    return int(gateway.admin_json("GET", "/api/admin/accounts/1")["balance"])


def openai_error(response: httpx.Response, status: int, param: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param, error
    return dict(error)


@pytest.fixture
def chat_gateway(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> tuple[Gateway, Upstream]:
    upstream = make_upstream()
    gateway = make_gateway(**funded(BALANCE), channels=[channel("up", upstream)], prices=[per_token()])
    return gateway, upstream


# -- fields of the wrong type ---------------------------------------------------------------------


@sqlite_only
def test_stream_options_that_is_not_an_object_is_a_400_naming_it(chat_gateway: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = chat_gateway
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=USER_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="gpt-test",
            messages=HI,  # type: ignore[arg-type]
            stream=True,
            stream_options="include_usage",  # type: ignore[arg-type]
        )
    assert refused.value.body["param"] == "stream_options"  # type: ignore[index]
    assert "'stream_options' must be an object, not a string" in refused.value.message
    assert upstream.chat_requests() == [] and balance(gateway) == BALANCE


@sqlite_only
@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"stream": True, "stream_options": [["include_usage", True]]}, "stream_options"),
        ({"stream": True, "stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
        ({"stream": "yes"}, "stream"),
        ({"n": "2"}, "n"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"temperature": "warm"}, "temperature"),
        ({"stop": 7}, "stop"),
        ({"stop": ["end", 7]}, "stop[1]"),
        ({"tools": "search"}, "tools"),
        ({"tools": [1]}, "tools[0]"),
        ({"messages": ["hi"]}, "messages[0]"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"user": 42}, "user"),
    ],
)
def test_chat_fields_of_the_wrong_type_are_400s_naming_the_field(
    chat_gateway: tuple[Gateway, Upstream], fields: dict[str, Any], param: str
) -> None:
    gateway, upstream = chat_gateway
    response = user(gateway).post("/v1/chat/completions", json={"model": "gpt-test", "messages": HI, **fields})
    error = openai_error(response, 400, param)
    assert error["type"] == "invalid_request_error" and f"'{param}' must be" in error["message"]
    assert upstream.chat_requests() == [] and balance(gateway) == BALANCE


@sqlite_only
def test_null_fields_mean_the_default(chat_gateway: tuple[Gateway, Upstream]) -> None:
    gateway, upstream = chat_gateway
    body = {"model": "gpt-test", "messages": HI, "stream_options": None, "max_tokens": None, "stop": None, "n": None}
    assert user(gateway).post("/v1/chat/completions", json=body).status_code == 200
    assert len(upstream.chat_requests()) == 1


# -- key limits of 0 ------------------------------------------------------------------------------


@sqlite_only
def test_key_limits_below_one_are_refused_by_the_admin_api(chat_gateway: tuple[Gateway, Upstream]) -> None:
    gateway, _ = chat_gateway
    for body, param in (
        ({"account_id": 1, "rpm": 0}, "rpm"),
        ({"account_id": 1, "tpm": -5}, "tpm"),
        ({"account_id": 1, "max_concurrency": 0}, "max_concurrency"),
        ({"account_id": 1, "rpm": 2**40}, "rpm"),
    ):
        error = openai_error(gateway.admin.post("/api/admin/keys", json=body), 400, param)
        assert "1" in error["message"]
    for body, param in (({"rpm": 0}, "rpm"), ({"tpm": 0}, "tpm"), ({"max_concurrency": -1}, "max_concurrency")):
        openai_error(gateway.admin.patch("/api/admin/keys/1", json=body), 400, param)
    assert gateway.admin_json("GET", "/api/admin/keys/1")["rpm"] is None
    lifted = gateway.admin_json("PATCH", "/api/admin/keys/1", json={"rpm": 1, "tpm": None})
    assert (lifted["rpm"], lifted["tpm"]) == (1, None)
    assert user(gateway).post("/v1/chat/completions", json={"model": "gpt-test", "messages": HI}).status_code == 200


def test_key_limits_below_one_are_refused_by_the_settings_file_and_the_cli(
    tmp_path: Path, make_gateway: Callable[..., Gateway], database_url: str
) -> None:
    declared = tmp_path / "omnirelay.toml"
    declared.write_text(
        '[[accounts]]\nname = "acme"\n\n[[keys]]\naccount = "acme"\nname = "ci"\n'
        'key = "sk-acme-ci-0123456789abcdef0123456789abcdef0123456789ab"\nrpm = 0\n'
    )
    with pytest.raises(SettingsError) as refused:
        load_settings(declared)
    assert "rpm" in str(refused.value) and "null for no limit" in str(refused.value)

    gateway = make_gateway(**funded(BALANCE))
    config = tmp_path / "cli.toml"
    config.write_text(
        f'home = "{gateway.settings.home}"\ndatabase_url = "{database_url}"\n'
        f'secret_key = "{gateway.settings.secret_key}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
    result = CliRunner().invoke(cli_app, ["keys", "create", "1", "--tpm", "0", "--config", str(config)], env=env)
    assert result.exit_code != 0 and "tpm" in result.output, result.output
    assert len(gateway.admin_json("GET", "/api/admin/keys")["data"]) == 1, "no key was created"


async def _store_limit(url: str, **limits: int) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.update(api_keys).values(**limits))
            await conn.execute(sa.update(config_revision).values(value=config_revision.c.value + 1))
    finally:
        await engine.dispose()


def test_a_limit_of_zero_already_in_the_store_refuses_calls_with_a_403(
    chat_gateway: tuple[Gateway, Upstream],
) -> None:
    gateway, upstream = chat_gateway
    asyncio.run(_store_limit(gateway.settings.effective_database_url, rpm=0))
    deadline = time.monotonic() + 10
    while True:
        response = user(gateway).post("/v1/chat/completions", json={"model": "gpt-test", "messages": HI})
        if response.status_code != 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    error = openai_error(response, 403, None)
    assert error["code"] == "key_limit_unusable" and "rpm = 0" in error["message"]
    calls = len(upstream.chat_requests())
    asyncio.run(_store_limit(gateway.settings.effective_database_url, rpm=0, tpm=0, max_concurrency=0))
    for _ in range(3):
        assert user(gateway).post("/v1/chat/completions", json={"model": "gpt-test", "messages": HI}).status_code == 403
    assert len(upstream.chat_requests()) == calls
    assert_ledger_balanced(gateway)


# -- webhooks of an unknown account ---------------------------------------------------------------


async def _hook_rows(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.text("SELECT COUNT(*) FROM account_webhooks")) or 0)
    finally:
        await engine.dispose()


def test_webhook_endpoints_of_an_unknown_account_are_404s(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(BALANCE))
    for method, path, body in (
        ("GET", "/api/admin/accounts/999/webhook", None),
        ("PUT", "/api/admin/accounts/999/webhook", {"url": None}),
        ("POST", "/api/admin/accounts/999/webhook/rotate", None),
    ):
        error = openai_error(gateway.admin.request(method, path, json=body), 404, None)
        assert "999" in error["message"]
    assert asyncio.run(_hook_rows(gateway.settings.effective_database_url)) == 0
    assert gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["account_id"] == 1


# -- numbers beyond what the store holds ----------------------------------------------------------

_ADMIN_PATHS = [
    ("GET", "/api/admin/accounts/{}", "account_id"),
    ("GET", "/api/admin/accounts/{}/ledger", "account_id"),
    ("GET", "/api/admin/accounts/{}/webhook", "account_id"),
    ("POST", "/api/admin/accounts/{}/webhook/rotate", "account_id"),
    ("GET", "/api/admin/keys/{}", "key_id"),
    ("DELETE", "/api/admin/keys/{}", "key_id"),
    ("GET", "/api/admin/channels/{}", "channel_id"),
    ("POST", "/api/admin/webhooks/deliveries/{}/redeliver", "delivery_id"),
]
_ADMIN_QUERIES = [
    ("/api/admin/logs", "before_id", BEYOND_64),
    ("/api/admin/logs", "key_id", BEYOND_32),
    ("/api/admin/logs", "since_ms", DIGITS_5000),
    ("/api/admin/logs", "limit", SUPERSCRIPT_TWO),
    ("/api/admin/keys", "account_id", BEYOND_64),
    ("/api/admin/webhooks/deliveries", "account_id", BEYOND_32),
    ("/api/admin/webhooks/deliveries", "limit", BEYOND_64),
    ("/api/admin/accounts/1/ledger", "before_id", BEYOND_64),
    ("/api/admin/accounts/1/ledger", "limit", DIGITS_5000),
]


def test_ids_and_cursors_beyond_the_store_are_400s_in_the_admin_api(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(BALANCE))
    for method, template, param in _ADMIN_PATHS:
        for value in (BEYOND_64, BEYOND_32, DIGITS_5000, SUPERSCRIPT_TWO, "0", "-1", "abc"):
            if param == "delivery_id" and value == BEYOND_32:
                continue  # delivery ids are 64-bit
            response = gateway.admin.request(method, template.format(value))
            error = openai_error(response, 400, param)
            assert "whole number" in error["message"], (template, value)
    for path, param, value in _ADMIN_QUERIES:
        openai_error(gateway.admin.get(path, params={param: value}), 400, param)
    for body, param in (
        ({"account_id": 2**63 + 1, "name": "x"}, "account_id"),
        ({"account_id": 2**40, "name": "x"}, "account_id"),
        ({"account_id": 1, "expires_at": 2**64 - 1}, "expires_at"),
    ):
        openai_error(gateway.admin.post("/api/admin/keys", json=body), 400, param)
    channel_body = {"name": "c", "base_url": "http://127.0.0.1:9/v1", "models": ["m"], "priority": 2**63 + 9}
    openai_error(gateway.admin.post("/api/admin/channels", json=channel_body), 400, "priority")
    assert gateway.admin_json("GET", "/api/admin/logs", params={"before_id": str(2**63 - 1)})["data"] is not None
    assert len(gateway.admin_json("GET", "/api/admin/keys")["data"]) == 1


@sqlite_only
def test_numbers_beyond_the_store_are_400s_on_the_client_endpoints(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(**funded(BALANCE))
    client = user(gateway)
    for value in (DIGITS_5000, SUPERSCRIPT_TWO):
        openai_error(client.get("/v1/files", params={"limit": value}), 400, "limit")
        generation = {"model": "dall-e-3", "prompt": "a cat", "n": value}
        openai_error(client.post("/v1/images/generations", json=generation), 400, "n")
    upload = {
        "purpose": (None, "assistants"),
        "expires_after[anchor]": (None, "created_at"),
        "expires_after[seconds]": (None, DIGITS_5000),
        "file": ("a.txt", b"hello", "text/plain"),
    }
    openai_error(client.post("/v1/files", files=upload), 400, "expires_after[seconds]")
    assert client.get("/v1/files").json()["data"] == [], "nothing was stored"
    listed = client.get("/mj/task/list", params={"limit": SUPERSCRIPT_TWO})
    assert listed.status_code == 400 and "limit" in listed.json()["description"]
    for value in (DIGITS_5000, SUPERSCRIPT_TWO):
        clip = client.get(f"/mj/video/1234567890123456/{value}")
        assert clip.status_code == 400 and clip.json()["code"] == 4, clip.text
    assert balance(gateway) == BALANCE


# -- multipart forms of many parts ----------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


def _form(parts: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    boundary = "b"
    chunks = []
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        kind = "Content-Type: image/png\r\n" if filename else ""
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n{kind}\r\n".encode() + data + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@sqlite_only
def test_image_edits_with_too_many_parts_are_refused_before_anything_is_forwarded(
    make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    upstream = make_upstream()
    gateway = make_gateway(
        **funded(BALANCE),
        channels=[channel("img", upstream, models=["gpt-image-1"])],
        prices=[{"model": "gpt-image-1", "mode": "per_call", "per_call": 40_000}],
    )
    client = user(gateway)
    picture = _png()
    fields: list[tuple[str, str | None, bytes]] = [("model", None, b"gpt-image-1"), ("prompt", None, b"a cat")]

    def edit(parts: list[tuple[str, str | None, bytes]]) -> httpx.Response:
        body, content_type = _form(fields + parts)
        return client.post("/v1/images/edits", content=body, headers={"Content-Type": content_type})

    error = openai_error(edit([("image[]", f"{i}.png", picture) for i in range(17)]), 400, "image[]")
    assert "at most 16 files" in error["message"]
    started = time.monotonic()
    many = [("image[]", "f", b"x") for _ in range(190_000)]  # about 17 MB, under the body limit
    openai_error(edit(many), 400, "image[]")
    assert time.monotonic() - started < 20
    error = openai_error(edit([(f"field{i}", None, b"v") for i in range(200)]), 400, None)
    assert "more than 100 parts" in error["message"]
    assert not [r for r in upstream.fake.requests if r.path.startswith("/v1/images")]
    assert balance(gateway) == BALANCE
    assert edit([("image[]", f"{i}.png", picture) for i in range(16)]).status_code == 200
    assert len(upstream.fake.requests[-1].json["files"]) == 16


# -- one local-model call too many ----------------------------------------------------------------

RERANK_MODEL = "minilm-l6-biencoder-rerank"
DOCUMENTS = [f"Passage number {i} is about topic {i % 7} and nothing else in particular." for i in range(400)]


def test_local_work_beyond_its_queue_is_a_503_with_retry_after(make_gateway: Callable[..., Gateway]) -> None:
    gateway = make_gateway(
        **funded(BALANCE),
        local={"max_concurrency": 1, "max_queue": 0},
        prices=[{"model": RERANK_MODEL, "mode": "per_call", "per_call": 1_000}],
    )
    body = {"model": RERANK_MODEL, "query": "topic 3", "documents": DOCUMENTS, "top_n": 1}
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: user(gateway).post("/v1/rerank", json=body), range(6)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1 and set(statuses) == {200, 503}, statuses
    for refused in (a for a in answers if a.status_code == 503):
        error = openai_error(refused, 503, None)
        assert error["code"] == "overloaded" and "local.max_queue" in error["message"]
        assert int(refused.headers["Retry-After"]) >= 1
    assert balance(gateway) == BALANCE - 1_000 * statuses.count(200), "refused calls are refunded"
    assert_ledger_balanced(gateway)
    assert user(gateway).post("/v1/rerank", json=body).status_code == 200, "the slot came back"


def test_local_work_waits_in_line_up_to_its_queue() -> None:
    async def scenario() -> None:
        work = LocalWork(LocalSettings(max_concurrency=1, max_queue=1))
        gate = threading.Event()
        first = asyncio.create_task(work.run(gate.wait, 10))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(work.run(lambda: "second"))
        await asyncio.sleep(0.05)
        with pytest.raises(Overloaded):
            await work.run(lambda: "third")
        assert not second.done(), "the second call waits in line"
        gate.set()
        assert await first is True and await second == "second"
        assert await work.run(lambda: "again") == "again"

    asyncio.run(scenario())


def test_a_caller_leaving_the_line_or_a_running_call_keeps_the_count_right() -> None:
    async def scenario() -> None:
        work = LocalWork(LocalSettings(max_concurrency=1, max_queue=1))
        gate = threading.Event()
        running = asyncio.create_task(work.run(gate.wait, 10))
        await asyncio.sleep(0.05)
        waiting = asyncio.create_task(work.run(lambda: "never"))
        await asyncio.sleep(0.05)
        waiting.cancel()
        await asyncio.sleep(0)
        queued = asyncio.create_task(work.run(lambda: "queued"))  # the place in line is free again
        await asyncio.sleep(0.05)
        running.cancel()  # the client went away: its thread still runs and still holds the slot
        await asyncio.sleep(0.05)
        assert not queued.done()
        with pytest.raises(Overloaded):
            await work.run(lambda: "one too many")
        gate.set()
        assert await queued == "queued"

    asyncio.run(scenario())
