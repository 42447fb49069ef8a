"""BFL's own Flux API (spec §4.1) through the gateway, against the fake BFL upstream: tasks, money, links, hooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from standardwebhooks import Webhook

from bfl_support import (
    BALANCE,
    BFL_KEY,
    OTHER_KEY,
    POOR_KEY,
    PRICES,
    balances,
    bfl_channel,
    client,
    invalid,
    ok,
    serve_bfl,
    start,
    wait_result,
)
from conftest import USER_KEY, Gateway, assert_ledger_balanced
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread

PRO = "/v1/flux-pro-1.1"
ULTRA = "/v1/flux-pro-1.1-ultra"
PNG_MAGIC, JPEG_MAGIC = b"\x89PNG", b"\xff\xd8\xff"


def test_a_task_walks_to_ready_billed_once_with_a_gateway_sample_streamed_unchanged(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_bfl(stack, step_s=0.3)  # each step outlasts a poll interval
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)  # x-key: <omnirelay key>

    submitted = ok(api.post(PRO, json={"prompt": "a fox in the snow", "width": 1024, "height": 768, "seed": 7}))
    assert set(submitted) == {"id", "polling_url"}
    assert submitted["polling_url"] == f"{gateway.url}/v1/get_result?id={submitted['id']}"
    done = wait_result(api, submitted["polling_url"])
    assert done["status"] == "Ready" and done["progress"] is None and done["details"] is None, done
    assert ("Pending", None) in done["seen"] and any(s == "Pending" and p for s, p in done["seen"]), done["seen"]
    result = done["result"]
    assert result["sample"].startswith(f"{gateway.url}/bfl/media/{submitted['id']}/sample.jpeg?sig=")
    assert result["prompt"] == "a fox in the snow" and result["seed"] == 7
    assert result["end_time"] >= result["start_time"] > 10**9 and result["duration"] >= 0
    assert url not in str(done)

    upstream = fake.tasks[next(iter(fake.tasks))]["result"]
    assert isinstance(upstream, dict)
    original = httpx.get(upstream["sample"]).content
    served = httpx.get(result["sample"], timeout=30)  # no key: the link is signed
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.content == original and original.startswith(JPEG_MAGIC)
    assert httpx.get(result["sample"].split("?")[0] + "?sig=0123").status_code == 404

    assert balances(gateway)["acme"] == BALANCE - PRICES["flux-pro-1.1"]
    assert_ledger_balanced(gateway)
    sent = next(r for r in fake.requests if r.method == "POST")
    assert sent.path == PRO and sent.headers["x-key"] == BFL_KEY and sent.json["seed"] == 7


def test_aggregator_paths_bearer_keys_and_sized_prices(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_bfl(stack)
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway, bearer=True)
    body = {"prompt": "a square lamp", "width": 1440, "height": 1440, "output_format": "png"}
    submitted = ok(api.post("/bfl" + PRO, json=body))
    assert submitted["polling_url"] == f"{gateway.url}/bfl/v1/get_result?id={submitted['id']}"
    done = wait_result(api, submitted["polling_url"])
    assert done["result"]["sample"].split("?")[0].endswith("/sample.png")
    png = httpx.get(done["result"]["sample"])
    assert png.headers["content-type"] == "image/png" and png.content.startswith(PNG_MAGIC)
    ultra = ok(api.post(ULTRA, json={"prompt": "wide", "aspect_ratio": "21:9", "raw": True}))
    assert wait_result(api, ultra["polling_url"])["status"] == "Ready"
    charged = PRICES["flux-pro-1.1:1440x1440"] + PRICES["flux-pro-1.1-ultra"]
    assert balances(gateway)["acme"] == BALANCE - charged
    assert_ledger_balanced(gateway)


def test_an_error_is_refunded_and_says_why(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_bfl(stack, fail_prompts_containing=["doomed"])
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)
    done = wait_result(api, ok(api.post(PRO, json={"prompt": "doomed ship"}))["polling_url"])
    assert done["status"] == "Error" and done["result"] is None and done["details"], done
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_moderated_tasks_keep_their_status_and_are_refunded(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    knobs = {"request_moderated_prompts_containing": ["banned"], "content_moderated_prompts_containing": ["risky"]}
    fake, url = serve_bfl(stack, **knobs)
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)
    for prompt, status in (("a banned word", "Request Moderated"), ("a risky scene", "Content Moderated")):
        done = wait_result(api, ok(api.post(PRO, json={"prompt": prompt}))["polling_url"])
        assert done["status"] == status and done["result"] is None, done
        assert done["details"] == {"Moderation Reasons": ["Derivative Works Filter"]}
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_a_submit_fails_over_to_the_next_bfl_channel(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    broken, broken_url = serve_bfl(stack, error_next=1)
    healthy, healthy_url = serve_bfl(stack)
    gateway = start(make_gateway, [bfl_channel("a", broken_url, priority=10), bfl_channel("b", healthy_url)])
    api = client(stack, gateway)
    submitted = ok(api.post(PRO, json={"prompt": "a boat"}))
    assert wait_result(api, submitted["polling_url"])["status"] == "Ready"
    assert not broken.tasks and len(healthy.tasks) == 1 and broken.knobs.error_next == 0
    for knob in ("rate_limited", "out_of_credits"):  # 429 and 402: another channel may take it
        setattr(broken.knobs, knob, True)
        assert wait_result(api, ok(api.post(PRO, json={"prompt": knob}))["polling_url"])["status"] == "Ready"
        setattr(broken.knobs, knob, False)
    assert not broken.tasks and len(healthy.tasks) == 3
    assert balances(gateway)["acme"] == BALANCE - 3 * PRICES["flux-pro-1.1"]
    assert_ledger_balanced(gateway)


def test_the_webhook_is_delivered_once_signed_with_the_result(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_bfl(stack)
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)
    body = {"prompt": "a lighthouse", "webhook_url": hook_url, "webhook_secret": "client-secret"}
    submitted = ok(api.post("/v1/flux-dev", json=body))
    assert submitted == {"id": submitted["id"], "status": "Pending", "webhook_url": hook_url}
    polled = wait_result(api, f"/v1/get_result?id={submitted['id']}")
    del polled["seen"]

    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    headers, raw = wait_for(lambda: hook.received)[0]
    assert Webhook(secret).verify(raw.decode(), headers) == polled == orjson.loads(raw)
    assert polled["status"] == "Ready" and polled["result"]["sample"].startswith(gateway.url)
    sent = next(r for r in fake.requests if r.method == "POST")
    assert "webhook_url" not in sent.json and "webhook_secret" not in sent.json  # they stay here
    assert len(hook.received) == 1  # only the end is delivered, as BFL does
    expected = hmac.new(b"client-secret", raw, hashlib.sha256).hexdigest()
    assert headers["x-bfl-signature"] == expected  # BFL's own signature, with the client's webhook_secret
    assert "client-secret" not in _stored_requests(gateway)  # kept sealed, never in the clear
    assert balances(gateway)["acme"] == BALANCE - PRICES["flux-dev"]


def _stored_requests(gateway: Gateway) -> str:
    async def read() -> str:
        engine = create_async_engine(gateway.settings.effective_database_url)
        try:
            async with engine.connect() as conn:
                return str((await conn.execute(sa.text("SELECT request FROM tasks"))).all())
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_keys_balance_and_other_accounts_tasks(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_bfl(stack)
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    mine, theirs = client(stack, gateway), client(stack, gateway, OTHER_KEY, bearer=True)
    submitted = ok(mine.post(PRO, json={"prompt": "a secret"}))
    for api, task_id in ((theirs, submitted["id"]), (mine, "0b6e1c1e-0000-4000-8000-000000000000")):
        answer = api.get("/v1/get_result", params={"id": task_id})
        assert answer.status_code == 404, answer.text
        assert answer.json() == {"id": task_id, "status": "Task not found", "result": None, "progress": None,
                                 "details": None}  # fmt: skip
    assert invalid(mine.get("/v1/get_result")) == [{"loc": ["query", "id"], "msg": "Field required", "type": "missing"}]
    for headers in ({}, {"x-key": "sk-wrong"}, {"Authorization": "Bearer sk-wrong"}):
        refused = httpx.post(gateway.url + PRO, json={"prompt": "a"}, headers=headers)
        assert refused.status_code == 401 and isinstance(refused.json()["detail"], str), refused.text
    poor = httpx.post(gateway.url + PRO, json={"prompt": "a"}, headers={"x-key": POOR_KEY})
    assert poor.status_code == 402 and isinstance(poor.json()["detail"], str), poor.text
    unknown = mine.post("/v1/flux-unknown-9", json={"prompt": "a"})
    assert unknown.status_code == 404 and isinstance(unknown.json()["detail"], str), unknown.text
    assert wait_result(mine, submitted["polling_url"])["status"] == "Ready"
    assert balances(gateway) == {"acme": BALANCE - PRICES["flux-pro-1.1"], "other": BALANCE, "poor": 10}
    assert_ledger_balanced(gateway)


def test_bad_input_is_refused_in_bfls_shape_and_nothing_is_stored_or_charged(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_bfl(stack)
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)
    bad: list[tuple[str, dict[str, Any], str, str]] = [
        (PRO, {"width": 1024}, "prompt", "missing"),
        (PRO, {"prompt": 5}, "prompt", "string_type"),
        (PRO, {"prompt": "a", "width": 1000}, "width", "multiple_of"),
        (PRO, {"prompt": "a", "height": 128}, "height", "greater_than_equal"),
        (PRO, {"prompt": "a", "width": 1472}, "width", "less_than_equal"),
        ("/v1/flux-dev", {"prompt": "a", "height": "768"}, "height", "int_type"),
        (PRO, {"prompt": "a", "safety_tolerance": 7}, "safety_tolerance", "less_than_equal"),
        (PRO, {"prompt": "a", "safety_tolerance": -1}, "safety_tolerance", "greater_than_equal"),
        (PRO, {"prompt": "a", "output_format": "webp"}, "output_format", "literal_error"),
        (PRO, {"prompt": "a", "image_prompt": "not base64!!"}, "image_prompt", "value_error"),
        (ULTRA, {"prompt": "a", "aspect_ratio": "3:1"}, "aspect_ratio", "value_error"),
        (ULTRA, {"prompt": "a", "aspect_ratio": "wide"}, "aspect_ratio", "value_error"),
        (ULTRA, {"prompt": "a", "image_prompt_strength": 2}, "image_prompt_strength", "less_than_equal"),
        ("/v1/flux-kontext-pro", {"prompt": "a", "input_image": "%%%"}, "input_image", "value_error"),
        (PRO, {"prompt": "a", "webhook_url": "ftp://example.com/hook"}, "webhook_url", "url_scheme"),
        (PRO, {"prompt": "a", "webhook_url": "http://10.1.2.3/hook"}, "webhook_url", "value_error"),
        (PRO, {"prompt": "a", "webhook_url": "http://169.254.169.254/latest/meta-data"}, "webhook_url", "value_error"),
    ]  # fmt: skip
    for path, body, field, kind in bad:
        detail = invalid(api.post(path, json=body))
        assert [(d["loc"], d["type"]) for d in detail] == [(["body", field], kind)], (body, detail)
    both = invalid(api.post(PRO, json={"width": 100, "safety_tolerance": 9}))
    assert [d["loc"][-1] for d in both] == ["prompt", "safety_tolerance", "width"]  # every field at once
    assert invalid(api.post(PRO, content=b"{not json"))[0]["type"] == "json_invalid"
    assert invalid(api.post(PRO, json=["a list"]))[0]["loc"] == ["body"]
    assert not fake.tasks and not [r for r in fake.requests if r.method == "POST"]
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_a_task_the_upstream_never_finishes_times_out_refunded(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_bfl(stack, hold=True)
    tasks = {"poll_min_s": 0.05, "poll_max_s": 0.2, "timeout_s": 1.0, "sweep_interval_s": 0.1}
    gateway = start(make_gateway, [bfl_channel("bfl", url)], tasks=tasks)
    api = client(stack, gateway)
    done = wait_result(api, ok(api.post(PRO, json={"prompt": "forever"}))["polling_url"])
    assert done["status"] == "Error" and "did not finish" in done["details"]["error"], done
    assert balances(gateway)["acme"] == BALANCE
    fake.release()
    assert_ledger_balanced(gateway)


def test_a_polling_url_on_another_host_is_never_followed(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_bfl(stack, polling_base="http://169.254.169.254:8080")
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)
    submitted = ok(api.post(PRO, json={"prompt": "a quiet lake"}))
    assert wait_result(api, submitted["polling_url"])["status"] == "Ready"
    polls = [r for r in fake.requests if r.method == "GET" and r.path == "/v1/get_result"]
    assert polls and all(r.headers["x-key"] == BFL_KEY for r in polls)
    assert USER_KEY not in str([r.headers for r in fake.requests])


def test_an_upstream_refusal_of_a_field_is_relayed_as_422_and_refunded(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_bfl(stack)  # the fake takes raw base64 only; the gateway lets a data: URL through
    gateway = start(make_gateway, [bfl_channel("bfl", url)])
    api = client(stack, gateway)
    detail = invalid(api.post(PRO, json={"prompt": "a", "image_prompt": "data:image/png;base64,aGVsbG8="}))
    assert detail == [{"loc": ["body"], "msg": "image_prompt: Invalid base64 image", "type": "value_error"}]
    assert not fake.tasks and balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)
    assert gateway.admin_json("GET", "/api/admin/channels")["data"][0]["enabled"]
