"""Seedance video tasks (spec §4.5) through the gateway, against the fake Ark: tasks, money, links, hooks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from ark_support import (
    BALANCE,
    LITE,
    OTHER_KEY,
    PRICES,
    PRO,
    TASKS,
    ark_channel,
    balances,
    client,
    ok,
    refused,
    serve_ark,
    start,
    video_body,
    wait_task,
)
from conftest import Gateway, assert_ledger_balanced
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread
from video_support import sdk

TASK_KEYS = {"id", "model", "status", "seed", "resolution", "ratio", "duration", "framespersecond", "error",
             "created_at", "updated_at"}  # fmt: skip


def test_a_task_walks_to_succeeded_billed_once_with_streamed_gateway_links_and_signed_callbacks(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack, step_s=0.4)  # states outlast poll intervals
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)

    body = video_body(resolution="1080p", duration=10, ratio="9:16", seed=11, return_last_frame=True,
                      callback_url=hook_url)  # fmt: skip
    created = ok(api.post(TASKS, json=body))
    assert set(created) == {"id"} and created["id"].startswith("cgt-")
    task = wait_task(api, created["id"])
    assert task["status"] == "succeeded" and "running" in task["seen"], task
    assert set(task) - {"seen"} == TASK_KEYS | {"content", "usage"}
    assert (task["resolution"], task["duration"], task["ratio"], task["seed"]) == ("1080p", 10, "9:16", 11)
    assert task["created_at"] < 10**11 and task["error"] is None  # seconds
    links = task["content"]
    assert links["video_url"].startswith(f"{gateway.url}/ark/media/{created['id']}/video?sig=")
    assert url not in str(task)

    with httpx.stream("GET", links["video_url"], timeout=30) as download:  # no key: the link is signed
        assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
        video = download.read()
    assert b"ftyp" in video[:12]
    seek = httpx.get(links["video_url"], headers={"Range": "bytes=10-99"}, timeout=30)
    assert seek.status_code == 206 and seek.content == video[10:100]
    assert httpx.get(links["last_frame_url"]).content.startswith(b"\x89PNG")
    assert httpx.get(links["video_url"].split("?")[0] + "?sig=0123").status_code == 404

    assert balances(gateway)["acme"] == BALANCE - PRICES[f"{PRO}:1080p:10"]
    assert_ledger_balanced(gateway)
    sent = [r.json for r in fake.requests if r.method == "POST"]
    assert sent[0]["duration"] == 10 and "callback_url" not in sent[0]  # the client's URL stays here
    assert ok(api.get("/ark" + TASKS + "/" + created["id"]))["status"] == "succeeded"

    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    events = wait_for(lambda: hook.received if any(b'"succeeded"' in b for _, b in hook.received) else None)
    bodies = [Webhook(secret).verify(raw.decode(), headers) for headers, raw in events]
    assert bodies[0]["status"] == "queued" and bodies[-1]["status"] == "succeeded"
    del task["seen"]
    assert bodies[-1] == task and url not in str(bodies)


def test_the_price_settled_is_that_of_what_the_upstream_made(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack, reported_resolution="720p", reported_duration=5)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    created = ok(api.post(TASKS, json=video_body(text="a wave --rs 1080p --dur 10")))  # held: 1080p:10
    task = wait_task(api, created["id"])
    assert (task["status"], task["resolution"], task["duration"]) == ("succeeded", "720p", 5)
    assert balances(gateway)["acme"] == BALANCE - PRICES[f"{PRO}:720p"]
    assert_ledger_balanced(gateway)


@pytest.mark.parametrize(("knob", "status", "code"), [("fail_next", "failed", "InternalServiceError"),
                                                       ("expire_next", "expired", "TaskExpired")])  # fmt: skip
def test_failed_and_expired_tasks_are_refunded_and_say_why(
    make_gateway: Callable[..., Gateway], stack: ExitStack, knob: str, status: str, code: str
) -> None:
    fake, url = serve_ark(stack, **{knob: 1})
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    task = wait_task(api, ok(api.post(TASKS, json=video_body(LITE)))["id"])
    assert task["status"] == status and task["error"]["code"] == code and task["error"]["message"]
    assert "content" not in task
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_delete_cancels_a_queued_task_with_a_refund_and_deletes_a_finished_one(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack, hold=True)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    queued = ok(api.post(TASKS, json=video_body()))["id"]
    assert balances(gateway)["acme"] == BALANCE - PRICES[PRO]
    assert ok(api.delete(f"{TASKS}/{queued}")) == {}
    assert ok(api.get(f"{TASKS}/{queued}"))["status"] == "cancelled"
    assert [t["status"] for t in fake.tasks.values()] == ["cancelled"]
    assert balances(gateway)["acme"] == BALANCE

    fake.knobs.hold = False
    done = ok(api.post(TASKS, json=video_body()))["id"]
    assert wait_task(api, done)["status"] == "succeeded"
    assert ok(api.get(TASKS))["total"] == 2
    assert ok(api.delete(f"{TASKS}/{done}")) == {}
    refused(api.get(f"{TASKS}/{done}"), 404, "ResourceNotFound")
    refused(api.delete(f"{TASKS}/{done}"), 404, "ResourceNotFound")
    listed = ok(api.get(TASKS))
    assert [t["id"] for t in listed["items"]] == [queued] and listed["total"] == 1
    assert balances(gateway)["acme"] == BALANCE - PRICES[PRO]  # deleting keeps what was paid
    assert_ledger_balanced(gateway)


def test_a_running_task_cannot_be_cancelled(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_ark(stack, step_s=0.3)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    task_id = ok(api.post(TASKS, json=video_body()))["id"]
    wait_for(lambda: ok(api.get(f"{TASKS}/{task_id}"))["status"] == "running" or None)
    refused(api.delete(f"{TASKS}/{task_id}"), 400, "OperationDenied.TaskRunning")
    assert wait_task(api, task_id)["status"] == "succeeded"
    assert_ledger_balanced(gateway)


def test_lists_and_gets_show_only_the_callers_tasks(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_ark(stack)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api, other = client(stack, gateway), client(stack, gateway, OTHER_KEY)
    mine = [ok(api.post(TASKS, json=video_body(text=f"clip {n}")))["id"] for n in range(3)]
    theirs = ok(other.post(TASKS, json=video_body()))["id"]
    for task_id in mine:
        wait_task(api, task_id)
    refused(api.get(f"{TASKS}/{theirs}"), 404, "ResourceNotFound")
    refused(other.delete(f"{TASKS}/{mine[0]}"), 404, "ResourceNotFound")
    page = ok(api.get(TASKS, params={"page_num": 2, "page_size": 2}))
    assert page["total"] == 3 and [t["id"] for t in page["items"]] == [mine[0]]
    picked = ok(api.get(TASKS, params=[("filter.task_ids", mine[1]), ("filter.task_ids", theirs)]))
    assert [t["id"] for t in picked["items"]] == [mine[1]]
    assert ok(api.get(TASKS, params={"filter.status": "running"}))["total"] == 0
    refused(api.get(TASKS, params={"filter.status": "done"}), 400, "InvalidParameter")


BAD_BODIES: list[tuple[dict[str, Any], str]] = [
    ({"model": PRO}, "content"),
    ({"model": PRO, "content": [{"type": "sound"}]}, "content[0]"),
    (video_body(resolution="4k"), "resolution"),
    (video_body(duration=30), "duration"),
    (video_body(ratio="5:4"), "ratio"),
    (video_body(seed=2**31), "seed"),
    ({"model": PRO, "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}, "content[0].image_url.url"),
    ({"model": PRO, "content": [{"type": "image_url", "image_url": {"url": "https://e.com/a.png"}, "role": "x"}]},
     "content[0].role"),
    (video_body(callback_url="http://10.1.2.3/hook"), "callback_url"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "param"), BAD_BODIES)
def test_bad_creates_are_refused_before_anything_is_held(
    make_gateway: Callable[..., Gateway], stack: ExitStack, body: dict[str, Any], param: str
) -> None:
    fake, url = serve_ark(stack)
    gateway = start(make_gateway, [ark_channel("ark", url)], webhooks={"allow_networks": []})
    error = refused(client(stack, gateway).post(TASKS, json=body), 400, "InvalidParameter")
    assert error["param"] == param
    assert not fake.requests and balances(gateway)["acme"] == BALANCE


def test_a_create_fails_over_and_the_task_is_polled_where_it_was_accepted(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    first, first_url = serve_ark(stack, error_next=1)
    second, second_url = serve_ark(stack)
    channels = [ark_channel("a", first_url, priority=10), ark_channel("b", second_url, priority=0)]
    gateway = start(make_gateway, channels)
    api = client(stack, gateway)
    task = wait_task(api, ok(api.post(TASKS, json=video_body()))["id"])
    assert task["status"] == "succeeded" and not first.tasks and len(second.tasks) == 1
    assert httpx.get(task["content"]["video_url"]).status_code == 200
    assert balances(gateway)["acme"] == BALANCE - PRICES[PRO]
    first.knobs.error_next = second.knobs.error_next = 5
    refused(api.post(TASKS, json=video_body()), 502, "InternalServiceError")
    assert balances(gateway)["acme"] == BALANCE - PRICES[PRO]
    assert_ledger_balanced(gateway)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks the Sora API deprecated
def test_seedance_channels_serve_the_common_v1_videos_ingress(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = sdk(gateway)
    video = api.videos.create(model=PRO, prompt="a paper boat in rain", seconds="8", size="1280x720")
    done = api.videos.poll(video.id)
    assert done.status == "completed", done
    sent = [r.json for r in fake.requests if r.path == TASKS][0]
    assert sent == {"model": PRO, "content": [{"type": "text", "text": "a paper boat in rain"}], "duration": 8,
                    "resolution": "720p", "ratio": "16:9"}  # fmt: skip
    assert api.videos.download_content(video.id).content[4:8] == b"ftyp"
    assert balances(gateway)["acme"] < BALANCE
    assert_ledger_balanced(gateway)
