"""The customer's own side of the platform API: top-up by redemption code (once, even when raced),
webhook settings with a signed test event, tasks of every family with Midjourney's buttons, the public
price list; and that one customer never sees or acts on another's codes, deliveries or tasks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks import Webhook

from conftest import Gateway, Upstream, assert_ledger_balanced
from customer_support import customer_gateway, fund, make_codes, new_key
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread
from platform_support import customer
from test_cli_operator import gateway_cli


def _balance(client: httpx.Client) -> int:
    return int(client.get("/api/v1/me").json()["balance"])


def test_a_code_credits_once_and_only_its_redeemer_sees_it(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    alice, bob = customer(gateway, "alice"), customer(gateway, "bob")
    code, spare = make_codes(gateway, 2_500_000, count=2)
    redeemed = alice.post("/api/v1/redeem", json={"code": code})
    assert redeemed.status_code == 200, redeemed.text
    assert redeemed.json()["credited"] == 2_500_000 and _balance(alice) == 2_500_000
    for who in (alice, bob):
        again = who.post("/api/v1/redeem", json={"code": code})
        assert again.status_code == 400 and again.json()["error"]["code"] == "code_not_redeemable"
    assert _balance(bob) == 0
    assert [r["amount"] for r in alice.get("/api/v1/redemptions").json()["data"]] == [2_500_000]
    assert bob.get("/api/v1/redemptions").json()["data"] == []
    listed = gateway.admin_json("GET", "/api/admin/redemption-codes")["data"]
    assert sorted(c["state"] for c in listed) == ["active", "redeemed"] and all("code_hash" not in c for c in listed)
    spare_id = next(c["id"] for c in listed if c["state"] == "active")
    assert gateway.admin_json("POST", f"/api/admin/redemption-codes/{spare_id}/disable")["state"] == "disabled"
    assert bob.post("/api/v1/redeem", json={"code": spare}).status_code == 400
    assert_ledger_balanced(gateway)


def test_expired_codes_are_refused_and_the_cli_makes_lists_and_disables_batches(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], tmp_path: Path
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    alice = customer(gateway, "alice")
    soon = int(time.time() * 1000) + 300
    (short,) = make_codes(gateway, 1_000, expires_at=soon)
    time.sleep(0.4)
    assert alice.post("/api/v1/redeem", json={"code": short}).status_code == 400
    cli = gateway_cli(gateway, tmp_path)
    made = json.loads(cli("codes", "create", "--amount", "7000", "--count", "3", "--expires", "2099-12-31"))
    assert len(made["codes"]) == 3 and made["amount"] == 7000
    rows = cli.json("codes", "list", "--batch", made["batch"])
    assert [r["state"] for r in rows] == ["active"] * 3
    cli("codes", "disable", str(rows[0]["id"]))
    assert alice.post("/api/v1/redeem", json={"code": made["codes"][1]}).status_code == 200
    assert _balance(alice) == 7000


def test_two_concurrent_redeems_of_one_code_credit_once(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    clients = [customer(gateway, f"racer{i}") for i in range(6)]
    (code,) = make_codes(gateway, 900_000)
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def race(client: httpx.Client) -> None:
        barrier.wait()
        answers.append(client.post("/api/v1/redeem", json={"code": code}).status_code)

    threads = [threading.Thread(target=race, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200] + [400] * (len(clients) - 1)
    assert sum(_balance(c) for c in clients) == 900_000
    assert_ledger_balanced(gateway)


def test_changes_without_the_csrf_token_are_refused(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    alice = customer(gateway, "alice")
    (code,) = make_codes(gateway, 1_000)
    bare = httpx.Client(base_url=gateway.url, cookies=alice.cookies, timeout=30)
    for path, body in [
        ("/api/v1/redeem", {"code": code}),
        ("/api/v1/webhook/rotate", {}),
        ("/api/v1/webhook/test", {}),
        ("/api/v1/tasks/x/buttons", {"custom_id": "MJ::JOB::upsample::1::x"}),
    ]:
        answer = bare.post(path, json=body)
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed", path
    for path in ("/console/topup", "/console/webhook/test", "/console/webhook/rotate"):
        assert bare.post(path, data={"code": code}).status_code == 403, path
    assert _balance(alice) == 0


def test_the_test_event_is_signed_with_the_accounts_secret_and_only_its_owner_sees_it(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    alice, bob = customer(gateway, "alice"), customer(gateway, "bob")
    refused = alice.put("/api/v1/webhook", json={"url": "http://10.1.2.3/hook"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "callback_url_refused"
    assert alice.post("/api/v1/webhook/test").json()["error"]["code"] == "webhook_url_missing"
    settings = alice.put("/api/v1/webhook", json={"url": hook_url}).json()
    assert settings["url"] == hook_url and settings["secret"].startswith("whsec_")
    rotated = alice.post("/api/v1/webhook/rotate").json()["secret"]
    assert rotated != settings["secret"]
    sent = alice.post("/api/v1/webhook/test")
    assert sent.status_code == 202, sent.text
    headers, body = wait_for(lambda: hook.received and hook.received[0])
    assert Webhook(rotated).verify(body, headers)["type"] == "webhook.test"
    deliveries = wait_for(
        lambda: [d for d in alice.get("/api/v1/webhook/deliveries").json()["data"] if d["status"] == "delivered"]
    )
    delivery = deliveries[0]
    assert delivery["id"] == sent.json()["id"] and delivery["attempt_log"][0]["status_code"] == 204
    assert bob.get("/api/v1/webhook/deliveries").json()["data"] == []
    assert bob.post(f"/api/v1/webhook/deliveries/{delivery['id']}/redeliver").status_code == 404
    assert bob.get("/api/v1/webhook").json()["secret"] != rotated
    form = {"csrf_token": bob.headers["X-CSRF-Token"]}
    assert bob.post(f"/console/webhook/deliveries/{delivery['id']}/redeliver", data=form).status_code == 404
    assert hook_url not in bob.get("/console/webhook").text and hook_url in alice.get("/console/webhook").text
    again = alice.post(f"/api/v1/webhook/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 200
    wait_for(lambda: len(hook.received) == 2)
    assert hook.received[1][0]["webhook-id"] == hook.received[0][0]["webhook-id"]


def _imagine(gateway: Gateway, key: str) -> str:
    answer = httpx.post(
        gateway.url + "/mj/submit/imagine",
        json={"prompt": "a red fox"},
        headers={"Authorization": f"Bearer {key}"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["code"] == 1, answer.text
    return str(answer.json()["result"])


def _done(client: httpx.Client, task_id: str) -> dict[str, Any]:
    task: dict[str, Any] = wait_for(lambda: (t := client.get(f"/api/v1/tasks/{task_id}").json())["finished"] and t)
    return task


def test_tasks_show_their_media_and_buttons_and_a_button_makes_the_follow_up_task(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    alice, bob = customer(gateway, "alice"), customer(gateway, "bob")
    fund(gateway, alice)
    task_id = _imagine(gateway, new_key(alice))
    task = _done(alice, task_id)
    assert task["status"] == "SUCCESS" and task["family"] == "mj"
    image = next(m for m in task["media"] if m["kind"] == "image")
    assert image["url"].startswith(gateway.url) and httpx.get(image["url"]).status_code == 200
    u1 = next(b for b in task["buttons"] if b["label"] == "U1")
    page = alice.get("/api/v1/tasks", params={"limit": 1}).json()
    assert [t["id"] for t in page["data"]] == [task_id] and page["next_before"] is None
    assert bob.get("/api/v1/tasks").json()["data"] == []
    assert bob.get(f"/api/v1/tasks/{task_id}").status_code == 404
    assert bob.post(f"/api/v1/tasks/{task_id}/buttons", json={"custom_id": u1["customId"]}).status_code == 404
    form = {"csrf_token": bob.headers["X-CSRF-Token"], "custom_id": u1["customId"]}
    assert bob.post(f"/console/tasks/{task_id}/buttons", data=form).status_code == 404
    assert task_id not in bob.get("/console/tasks").text and task_id in alice.get("/console/tasks").text
    pressed = alice.post(f"/api/v1/tasks/{task_id}/buttons", json={"custom_id": u1["customId"]})
    assert pressed.status_code == 201, pressed.text
    upscale = _done(alice, pressed.json()["task_id"])
    assert upscale["action"] == "UPSCALE" and upscale["status"] == "SUCCESS"
    newest = alice.get("/api/v1/tasks", params={"limit": 1}).json()
    assert newest["data"][0]["id"] == upscale["id"]
    older = alice.get("/api/v1/tasks", params={"limit": 1, "before": newest["next_before"]}).json()
    assert [t["id"] for t in older["data"]] == [task_id]
    assert alice.get("/api/v1/tasks", params={"before": "nonsense"}).status_code == 400
    assert_ledger_balanced(gateway)


def test_the_price_list_is_public_and_lists_what_is_billed(
    stack: ExitStack, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway]
) -> None:
    gateway, _ = customer_gateway(stack, make_gateway, make_upstream())
    listed = httpx.get(gateway.url + "/api/v1/pricing").json()
    by_model = {p["model"]: p for p in listed["data"]}
    assert by_model["gpt-test"]["input_per_million"] == 1_000_000
    assert by_model["gpt-test"]["output_per_million"] == 2_000_000
    assert by_model["mj_imagine"]["per_call"] == 50_000 and listed["money_symbol"] == "$"
    assert by_model["gpt-cached"]["extras"] == {"cache_read_per_million": 250_000}
    assert "unpriced" not in by_model and by_model["mj_imagine"]["input_per_million"] is None
    page = httpx.get(gateway.url + "/pricing")
    assert page.status_code == 200 and "gpt-test" in page.text and "$1.00" in page.text
    assert "Cached input / 1M: $0.25" in page.text
