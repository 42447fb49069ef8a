"""The Midjourney-Proxy API through the gateway, against the fake proxy: lifecycles, money, webhooks."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import skimage.data
from PIL import Image
from standardwebhooks import Webhook

from conftest import USER_KEY, Gateway, assert_ledger_balanced, funded, sqlite_only
from mj_support import PRICE, Receiver, fetch, mj_channel, mj_prices, wait_for, wait_status
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread

BALANCE = 10_000_000


def png() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 40, 40)).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def mj(stack: ExitStack) -> Callable[..., tuple[FakeMidjourney, str]]:
    def make(**knobs: Any) -> tuple[FakeMidjourney, str]:
        fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, **knobs))
        return fake, stack.enter_context(serve_in_thread(fake.app))

    return make


@pytest.fixture
def receiver(stack: ExitStack) -> tuple[Receiver, str]:
    hook = Receiver()
    return hook, stack.enter_context(serve_in_thread(hook.app)) + "/hook"


@pytest.fixture
def client_for(stack: ExitStack) -> Callable[[Gateway], httpx.Client]:
    def make(gateway: Gateway) -> httpx.Client:
        headers = {"Authorization": f"Bearer {USER_KEY}"}
        return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))

    return make


def gateway_with(make_gateway: Callable[..., Gateway], channels: list[dict[str, Any]], **extra: Any) -> Gateway:
    settings: dict[str, Any] = {
        **funded(BALANCE),
        "channels": channels,
        "prices": mj_prices(),
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.2},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fake proxy serves its files on loopback
    }
    settings.update(extra)
    return make_gateway(**settings)


def balance(gateway: Gateway) -> int:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return int(next(a for a in accounts if a["name"] == "acme")["balance"])


def test_imagine_runs_to_success_is_billed_once_and_pushed_signed_in_order(
    make_gateway: Callable[..., Gateway], mj: Any, receiver: tuple[Receiver, str], client_for: Any
) -> None:
    fake, url = mj()
    hook, hook_url = receiver
    gateway = gateway_with(make_gateway, [mj_channel("mj", url)])
    client = client_for(gateway)
    answer = client.post(
        "/mj/submit/imagine", json={"prompt": "a red fox", "notifyHook": hook_url, "state": "s1"}
    ).json()
    assert answer["code"] == 1 and answer["result"].isdigit() and len(answer["result"]) == 16
    task = wait_status(client, answer["result"], "SUCCESS")
    assert set(task) >= {
        "id",
        "action",
        "status",
        "prompt",
        "promptEn",
        "description",
        "state",
        "submitTime",
        "startTime",
        "finishTime",
        "imageUrl",
        "progress",
        "failReason",
        "properties",
        "buttons",
    }
    assert task["action"] == "IMAGINE" and task["progress"] == "100%" and task["state"] == "s1"
    assert task["failReason"] is None and task["prompt"] == "a red fox"
    assert task["imageUrl"].startswith(gateway.url + "/mj/image/" + task["id"])
    assert "attachments" not in task["imageUrl"]
    image = httpx.get(task["imageUrl"])  # no key needed, but signed
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert httpx.get(gateway.url + f"/mj/image/{task['id']}?sig=forged").status_code == 404
    assert [b["label"] for b in task["buttons"][:4]] == ["U1", "U2", "U3", "U4"]

    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    events = wait_for(lambda: [e for e in hook.received] if any(b'"SUCCESS"' in e[1] for e in hook.received) else [])
    bodies = [Webhook(secret).verify(body.decode(), headers) for headers, body in events]
    statuses = [b["status"] for b in bodies]
    assert statuses[0] == "SUBMITTED" and statuses[-1] == "SUCCESS"
    progress = [int(b["progress"].rstrip("%")) for b in bodies]
    assert progress == sorted(progress)
    assert len({h["webhook-id"] for h, _ in events}) == len(events)
    assert bodies[-1] == fetch(client, task["id"])

    assert balance(gateway) == BALANCE - PRICE
    assert_ledger_balanced(gateway)


def test_buttons_change_and_modal_are_charged_once_each(
    make_gateway: Callable[..., Gateway], mj: Any, client_for: Any
) -> None:
    fake, url = mj()
    gateway = gateway_with(make_gateway, [mj_channel("mj", url)])
    client = client_for(gateway)
    parent = wait_status(client, client.post("/mj/submit/imagine", json={"prompt": "cat"}).json()["result"], "SUCCESS")
    u1 = client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": parent["buttons"][0]["customId"]})
    upscaled = wait_status(client, u1.json()["result"], "SUCCESS")
    assert upscaled["action"] == "UPSCALE"
    v2 = client.post("/mj/submit/change", json={"taskId": parent["id"], "action": "VARIATION", "index": 2}).json()
    assert wait_status(client, v2["result"], "SUCCESS")["action"] == "VARIATION"
    simple = client.post("/mj/submit/simple-change", json={"content": f"{parent['id']} U3"}).json()
    assert wait_status(client, simple["result"], "SUCCESS")["action"] == "UPSCALE"

    inpaint = next(b["customId"] for b in upscaled["buttons"] if b["customId"].startswith("MJ::Inpaint"))
    opened = client.post("/mj/submit/action", json={"taskId": upscaled["id"], "customId": inpaint}).json()
    assert opened["code"] == 21
    assert fetch(client, opened["result"])["status"] == "MODAL"
    confirmed = client.post(
        "/mj/submit/modal", json={"taskId": opened["result"], "prompt": "a hat", "maskBase64": png()}
    ).json()
    assert confirmed["code"] == 1
    assert wait_status(client, opened["result"], "SUCCESS")["status"] == "SUCCESS"
    assert balance(gateway) == BALANCE - 5 * PRICE  # imagine, U1, V2, U3, modal
    assert_ledger_balanced(gateway)


def test_failures_and_refusals_are_refunded(make_gateway: Callable[..., Gateway], mj: Any, client_for: Any) -> None:
    fake, url = mj(fail_prompts_containing=["doomed"], banned_words=["forbidden"])
    gateway = gateway_with(make_gateway, [mj_channel("mj", url)])
    client = client_for(gateway)
    failed = client.post("/mj/submit/imagine", json={"prompt": "doomed dog"}).json()
    task = wait_status(client, failed["result"], "FAILURE")
    assert task["progress"] == "" and task["failReason"]
    banned = client.post("/mj/submit/imagine", json={"prompt": "forbidden thing"}).json()
    assert banned["code"] == 24 and banned["result"] is None and banned["properties"]["bannedWord"] == "forbidden"
    fake.knobs.queue_depth = 2
    queued = client.post("/mj/submit/imagine", json={"prompt": "patient"}).json()
    assert queued["code"] == 22 and queued["properties"]["numberOfQueues"] == 2
    wait_status(client, queued["result"], "SUCCESS")
    assert balance(gateway) == BALANCE - PRICE
    assert_ledger_balanced(gateway)


def test_full_queue_fails_over_to_another_channel(
    make_gateway: Callable[..., Gateway], mj: Any, client_for: Any
) -> None:
    full, full_url = mj(queue_full=True)
    idle, idle_url = mj(dialect="trueai")
    gateway = gateway_with(
        make_gateway, [mj_channel("busy", full_url, priority=10), mj_channel("idle", idle_url, priority=0)]
    )
    client = client_for(gateway)
    answer = client.post("/mj-fast/mj/submit/imagine", json={"prompt": "x"}).json()
    assert answer["code"] == 1
    wait_status(client, answer["result"], "SUCCESS")
    assert any(r.path == "/mj-fast/mj/submit/imagine" for r in idle.requests)
    assert balance(gateway) == BALANCE - PRICE


def test_bad_input_gets_a_clear_envelope_and_stores_nothing(
    make_gateway: Callable[..., Gateway], mj: Any, client_for: Any
) -> None:
    fake, url = mj()
    gateway = gateway_with(make_gateway, [mj_channel("mj", url)], tasks={"max_image_bytes": 2000})
    client = client_for(gateway)
    cases = [
        ("describe", {"base64": "data:image/png;base64,@@@notbase64"}, "base64"),
        ("describe", {"base64": base64.b64encode(b"plain text, not an image").decode()}, "image"),
        ("describe", {"base64": base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 5000).decode()}, "limit"),
        ("imagine", {"prompt": ""}, "prompt"),
        ("imagine", {"prompt": "x", "notifyHook": "http://10.1.2.3/hook"}, "private"),
        ("imagine", {"prompt": "x", "notifyHook": "http://169.254.169.254/latest"}, "private"),
        ("blend", {"base64Array": [png()]}, "2 to 5"),
    ]
    for endpoint, body, words in cases:
        response = client.post(f"/mj/submit/{endpoint}", json=body)
        assert response.status_code == 200
        answer = response.json()
        assert answer["code"] == 4 and words in answer["description"], answer
        assert answer["result"] is None and set(answer) == {"code", "description", "result", "properties"}
    unknown = client.get("/mj/task/1234567890123456/fetch")
    assert unknown.status_code == 404 and unknown.json()["code"] == 3
    parent = wait_status(client, client.post("/mj/submit/imagine", json={"prompt": "x"}).json()["result"], "SUCCESS")
    odd = client.post("/mj/submit/action", json={"taskId": parent["id"], "customId": "MJ::Nonsense::1"}).json()
    assert odd["code"] == 4 and "customId" in odd["description"]
    missing = client.post("/mj/submit/action", json={"taskId": "999", "customId": "MJ::JOB::upsample::1::h"})
    assert missing.status_code == 404 and missing.json()["code"] == 3
    assert len(fake.tasks) == 1
    assert httpx.post(gateway.url + "/mj/submit/imagine", json={"prompt": "x"}).status_code == 401
    assert balance(gateway) == BALANCE - PRICE


def test_keys_in_mj_api_secret_and_ids_as_numbers(
    make_gateway: Callable[..., Gateway], mj: Any, client_for: Any
) -> None:
    fake, url = mj()
    gateway = gateway_with(make_gateway, [mj_channel("mj", url)])
    plain = httpx.Client(base_url=gateway.url, headers={"mj-api-secret": USER_KEY}, timeout=30)
    first = plain.post("/mj/submit/imagine", json={"prompt": "one"}).json()["result"]
    second = plain.post("/mj/submit/imagine", json={"prompt": "two"}).json()["result"]
    listed = plain.post("/mj/task/list-by-condition", json={"ids": [int(first), second, "404"]}).json()
    assert [t["id"] for t in listed] == [first, second]
    plain.close()


def test_timeouts_fail_and_refund(make_gateway: Callable[..., Gateway], mj: Any, client_for: Any) -> None:
    fake, url = mj(hold=True)
    gateway = gateway_with(
        make_gateway, [mj_channel("mj", url)], tasks={"timeout_s": 1.0, "sweep_interval_s": 0.2, "poll_min_s": 0.05}
    )
    client = client_for(gateway)
    task_id = client.post("/mj/submit/imagine", json={"prompt": "slow"}).json()["result"]
    task = wait_status(client, task_id, "FAILURE")
    assert "did not finish" in task["failReason"]
    assert balance(gateway) == BALANCE
    assert_ledger_balanced(gateway)


def test_receiver_down_then_up_gets_every_event_in_order_and_admin_can_redeliver(
    make_gateway: Callable[..., Gateway], mj: Any, receiver: tuple[Receiver, str], client_for: Any
) -> None:
    fake, url = mj()
    hook, hook_url = receiver
    gateway = gateway_with(make_gateway, [mj_channel("mj", url)])
    gateway.admin_json("PUT", "/api/admin/accounts/1/webhook", json={"url": hook_url})
    client = client_for(gateway)
    hook.down = True
    task_id = client.post("/mj/submit/imagine", json={"prompt": "later"}).json()["result"]
    wait_status(client, task_id, "SUCCESS")
    pending = gateway.admin_json("GET", "/api/admin/webhooks/deliveries", params={"task_id": task_id})["data"]
    wait_for(
        lambda: any(
            d["attempts"] >= 1
            for d in gateway.admin_json("GET", "/api/admin/webhooks/deliveries", params={"task_id": task_id})["data"]
        )
    )
    assert pending and not hook.received
    hook.down = False
    wait_for(lambda: any(b'"SUCCESS"' in body for _, body in hook.received))
    seqs = [int(h["webhook-id"].rsplit("_", 1)[1]) for h, _ in hook.received]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))

    def all_delivered() -> list[dict[str, Any]] | None:  # the outcome is recorded just after the receiver answers
        found = gateway.admin_json("GET", "/api/admin/webhooks/deliveries", params={"task_id": task_id})["data"]
        return found if all(d["status"] == "delivered" for d in found) else None

    deliveries = wait_for(all_delivered)
    first = min(deliveries, key=lambda d: d["seq"])
    assert any(a["status_code"] == 503 for a in first["attempt_log"])
    before = len(hook.received)
    gateway.admin_json("POST", f"/api/admin/webhooks/deliveries/{first['id']}/redeliver")
    wait_for(lambda: len(hook.received) > before)
    assert hook.received[-1][0]["webhook-id"] == first["message_id"]


def test_describe_on_the_embedded_default_names_what_is_in_the_photo(
    make_gateway: Callable[..., Gateway], client_for: Any
) -> None:
    gateway = make_gateway(**funded(BALANCE))
    client = client_for(gateway)
    buffer = io.BytesIO()
    Image.fromarray(skimage.data.chelsea()).save(buffer, "PNG")
    body = {"base64": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}
    answer = client.post("/mj/submit/describe", json=body).json()
    assert answer["code"] == 1
    task = wait_status(client, answer["result"], "SUCCESS")
    text = task["properties"]["finalPrompt"]
    assert task["prompt"] == task["promptEn"] == text
    assert text.startswith("1️⃣") and "4️⃣" in text and "cat" in text.lower()
    imagine = client.post("/mj/submit/imagine", json={"prompt": "a cat"}).json()
    assert imagine["code"] == 3 and "Midjourney-Proxy channel" in imagine["description"]
    assert balance(gateway) == BALANCE


@sqlite_only
def test_loopback_callbacks_are_refused_unless_allow_listed(
    make_gateway: Callable[..., Gateway], client_for: Any
) -> None:
    gateway = make_gateway(**funded(BALANCE))
    client = client_for(gateway)
    for hook in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/hook", "ftp://example.com/x"):
        answer = client.post("/mj/submit/describe", json={"base64": png(), "notifyHook": hook}).json()
        assert answer["code"] == 4 and answer["result"] is None, (hook, answer)
    assert balance(gateway) == BALANCE
