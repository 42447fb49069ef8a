"""The rest of the Midjourney surface through the fake proxy: edits, retexture, video (submit, extend,
animate buttons, clips streamed through the gateway), the caller's task list and queue, and cancel."""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only
from mj_support import PRICE, Receiver, fetch, mj_channel, mj_prices, wait_for, wait_status
from omnirelay.testing import FakeMidjourney, FakeMidjourneyKnobs, serve_in_thread
from omnirelay.testing._fake_mj_video import TINY_MP4
from test_midjourney import png

BALANCE = 10_000_000
VIDEO_PRICE = 400_000
RIVAL_KEY = "sk-rival-test-000000000000000000000000000000000000000000"
MORE_MODELS = ["mj_edits", "mj_retexture", "mj_video"]


class World:
    """One gateway in front of one fake proxy, two accounts: acme (``USER_KEY``) and rival (``RIVAL_KEY``)."""

    def __init__(self, gateway: Gateway, fake: FakeMidjourney, stack: ExitStack) -> None:
        self.gateway = gateway
        self.fake = fake
        self.client = self.client_for(stack, USER_KEY)
        self.rival = self.client_for(stack, RIVAL_KEY)

    def client_for(self, stack: ExitStack, key: str) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"}
        return stack.enter_context(httpx.Client(base_url=self.gateway.url, headers=headers, timeout=30))

    def balance(self, name: str = "acme") -> int:
        accounts = self.gateway.admin_json("GET", "/api/admin/accounts")["data"]
        return int(next(a for a in accounts if a["name"] == name)["balance"])

    def entries(self, task_id: str) -> list[tuple[str, int]]:
        """(kind, amount) of acme's ledger entries for one task, oldest first."""
        rows = self.gateway.admin_json("GET", "/api/admin/accounts/1/ledger", params={"limit": 200})["data"]
        return [(r["kind"], r["amount"]) for r in reversed(rows) if r["request_id"] == task_id]

    def submits(self, endpoint: str) -> list[Any]:
        return [r for r in self.fake.requests if r.path.endswith(f"/submit/{endpoint}")]


@pytest.fixture
def world(stack: ExitStack, make_gateway: Callable[..., Gateway]) -> Callable[..., World]:
    def make(**knobs: Any) -> World:
        fake = FakeMidjourney(FakeMidjourneyKnobs(api_secret="mj-secret", step_s=0.02, **knobs))
        url = stack.enter_context(serve_in_thread(fake.app))
        channel = mj_channel("mj", url)
        channel["models"] = [*channel["models"], *MORE_MODELS]
        prices = [
            *mj_prices(),
            {"model": "mj_edits", "mode": "per_call", "per_call": PRICE},
            {"model": "mj_retexture", "mode": "per_call", "per_call": PRICE},
            {"model": "mj_video", "mode": "per_call", "per_call": VIDEO_PRICE},
        ]
        gateway = make_gateway(
            accounts=[{"name": "acme", "balance": BALANCE}, {"name": "rival", "balance": BALANCE}],
            keys=[
                {"account": "acme", "name": "main", "key": USER_KEY},
                {"account": "rival", "name": "main", "key": RIVAL_KEY},
            ],
            channels=[channel],
            prices=prices,
            tasks={"poll_min_s": 0.05, "poll_max_s": 0.2},
            webhooks={"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2] * 6},
            outbound={"allow_networks": ["127.0.0.1/32"]},  # the fake proxy serves its files on loopback
        )
        return World(gateway, fake, stack)

    return make


@pytest.fixture
def receiver(stack: ExitStack) -> tuple[Receiver, str]:
    hook = Receiver()
    return hook, stack.enter_context(serve_in_thread(hook.app)) + "/hook"


def _submit(client: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/mj/submit/{endpoint}", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _succeeded(client: httpx.Client, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = _submit(client, endpoint, body)
    assert answer["code"] == 1, answer
    return wait_status(client, answer["result"], "SUCCESS")


def _button(task: dict[str, Any], prefix: str) -> str:
    return next(str(b["customId"]) for b in task["buttons"] if str(b["customId"]).startswith(prefix))


def test_edits_and_retexture_run_to_success_and_are_billed_once(world: Callable[..., World]) -> None:
    w = world()
    edited = _succeeded(w.client, "edits", {"prompt": "a hat on the fox", "image": png(), "state": "e1"})
    assert edited["action"] == "EDIT" and edited["state"] == "e1" and edited["progress"] == "100%"
    assert edited["imageUrl"].startswith(w.gateway.url + "/mj/image/") and "attachments" not in edited["imageUrl"]
    image = httpx.get(edited["imageUrl"])  # no key: the link is signed
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert edited["videoUrl"] is None and edited["videoUrls"] is None

    source = w.submits("edits")[-1].json["image"]
    assert source.startswith("data:image/png;base64,")  # the client's image, as sent
    retextured = _succeeded(w.client, "retexture", {"prompt": "made of glass", "image": png()})
    assert retextured["action"] == "RETEXTURE" and retextured["description"] == "/retexture made of glass"
    aliased = _succeeded(w.client, "edit", {"prompt": "a scarf", "image": png()})
    assert aliased["action"] == "EDIT" and len(w.submits("edits")) == 2  # the alias is sent as /edits

    assert w.balance() == BALANCE - 3 * PRICE
    assert w.entries(edited["id"]) == [("reserve", -PRICE), ("settle", 0)]
    models = {log["model"] for log in w.gateway.logs() if str(log["endpoint"]).startswith("task:mj")}
    assert models == {"mj_edits", "mj_retexture"}
    assert_ledger_balanced(w.gateway)


def test_an_image_link_is_passed_on_only_when_it_is_reachable_and_public(world: Callable[..., World]) -> None:
    w = world()
    public_enough = f"{w.gateway.url}/anything.png"  # loopback, allow-listed for the tests
    edited = _succeeded(w.client, "edits", {"prompt": "linked", "image": public_enough})
    assert edited["action"] == "EDIT" and w.submits("edits")[-1].json["image"] == public_enough
    for link in ("http://10.1.2.3/cat.png", "http://169.254.169.254/latest/meta-data", "http://[::1]/x.png"):
        refused = _submit(w.client, "edits", {"prompt": "linked", "image": link})
        assert refused["code"] == 4 and "image" in refused["description"], (link, refused)
    assert len(w.submits("edits")) == 1
    assert w.balance() == BALANCE - PRICE


def test_video_clips_are_streamed_through_signed_gateway_links(world: Callable[..., World]) -> None:
    w = world()
    video = _succeeded(w.client, "video", {"prompt": "the fox runs", "image": png(), "motion": "high", "batchSize": 2})
    assert video["action"] == "VIDEO" and video["description"] == "/video the fox runs"
    assert len(video["videoUrls"]) == 2
    links = [video["videoUrl"], video["imageUrl"], *(clip["url"] for clip in video["videoUrls"])]
    for link in links:
        assert link.startswith(w.gateway.url + "/mj/") and "attachments" not in link
        served = httpx.get(link)  # no key
        assert served.status_code == 200, link
        assert served.headers["content-type"] == "video/mp4" and served.content == TINY_MP4
    assert video["videoUrls"][1]["url"].startswith(f"{w.gateway.url}/mj/video/{video['id']}/1?sig=")
    seek = httpx.get(video["videoUrl"], headers={"Range": "bytes=0-9"})  # this upstream serves no ranges
    assert (seek.status_code, seek.content, seek.headers.get("content-range")) == (200, TINY_MP4, None)
    thumbnail = httpx.get(video["videoUrls"][0]["thumbnail"])
    assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\x89PNG")

    assert httpx.get(f"{w.gateway.url}/mj/video/{video['id']}?sig=forged").status_code == 404
    unsigned = video["videoUrl"].split("?")[0]
    assert httpx.get(unsigned).status_code == 404
    beyond = video["videoUrls"][1]["url"].replace(f"/{video['id']}/1?", f"/{video['id']}/7?")
    missing = httpx.get(beyond)
    assert missing.status_code == 404 and missing.json()["code"] == 3
    sent = w.submits("video")[-1].json
    assert sent["motion"] == "high" and sent["batchSize"] == 2 and sent["notifyHook"].startswith(w.gateway.url)
    assert w.balance() == BALANCE - VIDEO_PRICE
    assert_ledger_balanced(w.gateway)


def test_animate_button_and_extend_make_video_tasks(world: Callable[..., World]) -> None:
    w = world(video_clips=1)
    imagined = _succeeded(w.client, "imagine", {"prompt": "a fox"})
    upscale = _button(imagined, "MJ::JOB::upsample::1::")
    upscaled = _succeeded(w.client, "action", {"taskId": imagined["id"], "customId": upscale})
    animate = _button(upscaled, "MJ::JOB::animate_high::")
    animated = _succeeded(w.client, "action", {"taskId": upscaled["id"], "customId": animate})
    assert animated["action"] == "VIDEO" and animated["customId"] == animate
    assert httpx.get(animated["videoUrl"]).headers["content-type"] == "video/mp4"

    extend = {"prompt": "and it keeps running", "action": "extend", "taskId": animated["id"], "index": 0}
    extended = _succeeded(w.client, "video", extend)
    assert extended["action"] == "VIDEO" and extended["videoUrls"] and extended["id"] != animated["id"]
    upstream_parent = w.submits("video")[-1].json["taskId"]
    assert upstream_parent != animated["id"] and w.fake.tasks[upstream_parent]["action"] == "VIDEO"
    too_far = _submit(w.client, "video", {**extend, "index": 2})  # the animated task has one clip
    assert too_far["code"] == 4 and "index" in too_far["description"] and too_far["result"] is None
    by_button = _button(extended, "MJ::JOB::animate_low_extend::")
    again = _succeeded(w.client, "action", {"taskId": extended["id"], "customId": by_button})
    assert again["action"] == "VIDEO"

    assert w.balance() == BALANCE - 2 * PRICE - 3 * VIDEO_PRICE  # imagine, U1, animate, extend, extend
    assert w.entries(animated["id"]) == [("reserve", -VIDEO_PRICE), ("settle", 0)]
    assert_ledger_balanced(w.gateway)


def test_list_and_queue_show_only_the_callers_own_tasks(world: Callable[..., World]) -> None:
    w = world(hold=True)
    mine = [_submit(w.client, "imagine", {"prompt": f"mine {n}"})["result"] for n in range(3)]
    theirs = _submit(w.rival, "imagine", {"prompt": "theirs"})["result"]
    listed = w.client.get("/mj/task/list").json()
    assert [t["id"] for t in listed] == mine[::-1]  # newest first
    assert [t["id"] for t in w.rival.get("/mj/task/list").json()] == [theirs]
    queued = w.client.get("/mj/task/queue").json()
    assert [t["id"] for t in queued] == mine and all(t["status"] != "SUCCESS" for t in queued)
    assert [t["id"] for t in w.client.get("/mj-fast/mj/task/list", params={"limit": 2}).json()] == mine[:0:-1]
    wrong = w.client.get("/mj/task/list", params={"limit": 1000})
    assert wrong.status_code == 400 and wrong.json()["code"] == 4 and "limit" in wrong.json()["description"]
    assert httpx.get(f"{w.gateway.url}/mj/task/list").status_code == 401

    w.fake.knobs.hold = False
    for task_id in mine:
        wait_status(w.client, task_id, "SUCCESS")
    wait_status(w.rival, theirs, "SUCCESS")
    assert w.client.get("/mj/task/queue").json() == [] and w.rival.get("/mj/task/queue").json() == []
    assert [t["status"] for t in w.client.get("/mj/task/list").json()] == ["SUCCESS"] * 3


def test_cancel_refunds_once_tells_the_upstream_and_emits_a_webhook(
    world: Callable[..., World], receiver: tuple[Receiver, str]
) -> None:
    w = world(hold=True)
    hook, hook_url = receiver
    task_id = _submit(w.client, "video", {"prompt": "slow", "image": png(), "notifyHook": hook_url})["result"]
    running = wait_status(w.client, task_id, "IN_PROGRESS")
    assert running["imageUrl"] and w.balance() == BALANCE - VIDEO_PRICE

    cancelled = w.client.post(f"/mj/task/{task_id}/cancel")
    assert cancelled.status_code == 200 and cancelled.content == b"", cancelled.text
    task = fetch(w.client, task_id)
    assert task["status"] == "CANCEL" and task["progress"] == "" and task["failReason"]
    assert task["imageUrl"] is None and task["finishTime"]
    upstream = next(r for r in w.fake.requests if r.path.endswith("/cancel"))
    assert upstream.headers["mj-api-secret"] == "mj-secret"
    upstream_id = upstream.path.split("/")[-2]
    assert upstream_id != task_id and w.fake.tasks[upstream_id]["failReason"] == "取消任务"

    again = w.client.post(f"/mj/task/{task_id}/cancel")
    assert again.status_code == 400 and again.json()["code"] == 4 and "ended" in again.json()["description"]
    w.fake.knobs.hold = False  # whatever the upstream does now, the task stays cancelled and refunded once
    secret = w.gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    events = wait_for(lambda: [e for e in hook.received] if any(b'"CANCEL"' in e[1] for e in hook.received) else [])
    last = Webhook(secret).verify(events[-1][1].decode(), events[-1][0])
    assert last["status"] == "CANCEL" and last == fetch(w.client, task_id)
    assert fetch(w.client, task_id)["status"] == "CANCEL"
    assert w.entries(task_id) == [("reserve", -VIDEO_PRICE), ("refund", VIDEO_PRICE)]
    assert w.balance() == BALANCE
    assert_ledger_balanced(w.gateway)


def test_cancel_without_an_upstream_cancel_route_still_refunds(world: Callable[..., World]) -> None:
    w = world(hold=True, cancel_supported=False)
    task_id = _submit(w.client, "imagine", {"prompt": "patient"})["result"]
    wait_status(w.client, task_id, "IN_PROGRESS")
    assert w.client.post(f"/mj/task/{task_id}/cancel").status_code == 200
    w.fake.knobs.hold = False
    wait_for(lambda: all(t["status"] == "SUCCESS" for t in w.fake.tasks.values()))
    assert fetch(w.client, task_id)["status"] == "CANCEL"
    assert w.entries(task_id) == [("reserve", -PRICE), ("refund", PRICE)]
    assert w.balance() == BALANCE


@sqlite_only
def test_cancel_of_a_foreign_or_unknown_task_is_not_found(world: Callable[..., World]) -> None:
    w = world(hold=True)
    theirs = _submit(w.rival, "imagine", {"prompt": "theirs"})["result"]
    for task_id in (theirs, "1234567890123456"):
        response = w.client.post(f"/mj/task/{task_id}/cancel")
        assert response.status_code == 404 and response.json()["code"] == 3, response.text
    assert not any(r.path.endswith("/cancel") for r in w.fake.requests)
    w.fake.knobs.hold = False
    assert wait_status(w.rival, theirs, "SUCCESS")["status"] == "SUCCESS"
    assert w.balance("rival") == BALANCE - PRICE


@sqlite_only
def test_bad_edits_and_video_requests_get_code_4_and_store_nothing(world: Callable[..., World]) -> None:
    w = world()
    imagined = _succeeded(w.client, "imagine", {"prompt": "parent"})
    not_an_image = base64.b64encode(b"plain text, not an image").decode()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("edits", {"image": png()}, "prompt"),
        ("edits", {"prompt": "x"}, "image"),
        ("retexture", {"prompt": "x", "image": "data:image/png;base64,@@@"}, "base64"),
        ("edit", {"prompt": "x", "image": not_an_image}, "image"),
        ("edits", {"prompt": "x", "image": "ftp://example.com/a.png"}, "image"),
        ("video", {"image": png()}, "prompt"),
        ("video", {"prompt": "x"}, "image"),
        ("video", {"prompt": "x", "image": png(), "motion": "fast"}, "motion"),
        ("video", {"prompt": "x", "image": png(), "batchSize": 9}, "batchSize"),
        ("video", {"prompt": "x", "image": png(), "videoType": "8k"}, "videoType"),
        ("video", {"prompt": "x", "taskId": imagined["id"], "index": 0}, "action"),
        ("video", {"prompt": "x", "action": "extend", "taskId": imagined["id"]}, "index"),
        ("video", {"prompt": "x", "action": "extend", "taskId": imagined["id"], "index": 0}, "VIDEO task"),
        ("video", {"prompt": "x", "image": png(), "notifyHook": "http://10.0.0.1/hook"}, "private"),
    ]
    for endpoint, body, words in cases:
        answer = _submit(w.client, endpoint, body)
        assert answer["code"] == 4 and words in answer["description"], (endpoint, body, answer)
        assert answer["result"] is None and set(answer) == {"code", "description", "result", "properties"}
    missing = w.client.post("/mj/submit/video", json={"prompt": "x", "action": "extend", "taskId": "1", "index": 0})
    assert missing.status_code == 404 and missing.json()["code"] == 3
    assert not w.submits("edits") and not w.submits("retexture") and not w.submits("video")
    assert [t["id"] for t in w.client.get("/mj/task/list").json()] == [imagined["id"]]
    assert w.balance() == BALANCE - PRICE
