"""The declarative task relay end to end: both example vendors (examples/task-vendors) in front of their
fakes, through a real gateway: tasks, progress, signed file links, money per unit, webhooks, cancel."""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable
from contextlib import ExitStack

import av
import httpx
import orjson
from standardwebhooks import Webhook

from conftest import Gateway, assert_ledger_balanced
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread
from omnirelay.testing.fake_digital_human import video_seconds
from task_vendor_support import (
    BALANCE,
    DH_KEY,
    DH_PATH,
    OTHER_KEY,
    PER_SECOND,
    PER_SLIDE,
    PPT_PATH,
    balances,
    client,
    created,
    refused,
    serve_fakes,
    start,
    vendor_channel,
    wait_task,
)

SCRIPT = "Hello and welcome to the quarterly review of our small but growing company today"


def test_a_digital_human_video_walks_to_success_billed_per_second_with_a_signed_mp4_and_verified_webhooks(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    human, human_url, _, ppt_url = serve_fakes(stack, step_s=0.5)  # the first poll comes after 1 s
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, human_url, ppt_url)
    api = client(stack, gateway)

    body = {"avatar_id": "anna", "script": SCRIPT, "callback_url": hook_url}
    task = created(api.post(DH_PATH, json=body))
    assert task["vendor"] == "digital-human" and task["model"] == "digital-human" and task["id"].startswith("task_")
    done = wait_task(api, task["id"])
    assert done["status"] == "succeeded" and done["progress"] == 100 and done["error"] is None, done
    assert any(status == "running" and 0 < progress < 100 for status, progress in done["seen"]), done["seen"]
    seconds = video_seconds(SCRIPT)
    assert done["result"]["duration_s"] == seconds
    link = done["result"]["video"]
    assert link.startswith(f"{gateway.url}/v1/tasks/{task['id']}/files/video?sig=") and human_url not in str(done)

    video = httpx.get(link, timeout=30)  # no key: the link is signed
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4", video.text
    with av.open(io.BytesIO(video.content), "r") as container:
        assert round(float(container.duration or 0) / 1e6) == seconds
    assert httpx.get(link.split("?")[0] + "?sig=00", timeout=30).status_code == 404

    assert balances(gateway)["acme"] == BALANCE - seconds * PER_SECOND
    assert_ledger_balanced(gateway)
    sent = next(r for r in human.requests if r.method == "POST")
    assert sent.json == {"avatar_id": "anna", "script": SCRIPT, "voice": "en-US-amy", "resolution": "720p"}
    assert sent.headers["x-api-key"] == DH_KEY

    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    events = wait_for(lambda: hook.received if any(b'"succeeded"' in b for _, b in hook.received) else None)
    verified = [Webhook(secret).verify(raw.decode(), headers) for headers, raw in events]
    assert verified[0]["status"] == "queued" and "running" in [v["status"] for v in verified]
    del done["seen"]
    assert verified[-1] == done


def test_a_slide_deck_is_a_real_pptx_billed_per_slide_with_progress_scaled(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    _, human_url, ppt, ppt_url = serve_fakes(stack, step_s=1.0)  # the first poll comes after 2 s
    gateway = start(make_gateway, human_url, ppt_url)
    api = client(stack, gateway)
    outline = ["Why", "How", "When"]
    task = created(api.post(PPT_PATH, json={"title": "Plan", "outline": outline}))
    done = wait_task(api, task["id"])
    assert done["status"] == "succeeded" and done["result"]["slides"] == 4, done
    assert {p for s, p in done["seen"] if s == "running"} & {33, 67}, done["seen"]  # 0.33, 0.67 scaled by 100
    deck = httpx.get(done["result"]["deck"], timeout=30)
    assert deck.status_code == 200 and deck.headers["content-type"].endswith("presentationml.presentation")
    names = zipfile.ZipFile(io.BytesIO(deck.content)).namelist()
    assert {"ppt/presentation.xml", "ppt/slides/slide4.xml"} <= set(names)
    assert balances(gateway)["acme"] == BALANCE - 4 * PER_SLIDE
    sent = next(r for r in ppt.requests if r.method == "POST")
    assert sent.json["reference"] == f"omnirelay-{task['id']}" and sent.json["theme"] == "plain"
    assert_ledger_balanced(gateway)


def test_a_failed_task_is_refunded_and_says_why(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    human, human_url, _, ppt_url = serve_fakes(stack)
    human.knobs.fail_next = 1
    gateway = start(make_gateway, human_url, ppt_url)
    api = client(stack, gateway)
    done = wait_task(api, created(api.post(DH_PATH, json={"avatar_id": "a", "script": "hi"}))["id"])
    assert done["status"] == "failed" and done["result"] is None
    assert done["error"] == {"code": "task_failed", "message": human.knobs.fail_reason}
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_cancel_stops_the_upstream_job_and_refunds(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    human, human_url, _, ppt_url = serve_fakes(stack, step_s=0.05)
    human.knobs.hold = True
    gateway = start(make_gateway, human_url, ppt_url)
    api = client(stack, gateway)
    task = created(api.post(DH_PATH, json={"avatar_id": "a", "script": SCRIPT}))
    wait_task(api, task["id"], "running")
    assert balances(gateway)["acme"] == BALANCE - 60 * PER_SECOND  # 60 seconds held
    canceled = api.post(f"/v1/tasks/{task['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled", canceled.text
    assert canceled.json()["error"]["code"] == "canceled"
    assert [job.state for job in human.jobs.jobs.values()] == ["canceled"]
    assert balances(gateway)["acme"] == BALANCE
    refused(api.post(f"/v1/tasks/{task['id']}/cancel"), 409, "cancel_refused")
    refused(client(stack, gateway, OTHER_KEY).post(f"/v1/tasks/{task['id']}/cancel"), 404)
    assert_ledger_balanced(gateway)


def test_the_list_is_the_callers_own_newest_first_by_cursor(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    _, human_url, _, ppt_url = serve_fakes(stack)
    gateway = start(make_gateway, human_url, ppt_url)
    api, other = client(stack, gateway), client(stack, gateway, OTHER_KEY)
    ids = [created(api.post(PPT_PATH, json={"title": f"t{n}", "outline": ["a"]}))["id"] for n in range(3)]
    theirs = created(other.post(PPT_PATH, json={"title": "x", "outline": ["b"]}))["id"]
    first = api.get("/v1/tasks", params={"limit": 2}).json()
    assert first["object"] == "list" and first["has_more"] and len(first["data"]) == 2
    rest = api.get("/v1/tasks", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert not rest["has_more"] and rest["next_cursor"] is None
    assert [t["id"] for t in first["data"] + rest["data"]] == ids[::-1]
    refused(api.get(f"/v1/tasks/{theirs}"), 404, "not_found")
    refused(api.get("/v1/tasks", params={"cursor": "nonsense"}), 400)
    for task_id in ids:
        wait_task(api, task_id)


def test_bad_requests_are_refused_by_name_before_anything_is_held(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    human, human_url, _, ppt_url = serve_fakes(stack)
    gateway = start(make_gateway, human_url, ppt_url)
    api = client(stack, gateway)
    assert "did you mean script?" in refused(api.post(DH_PATH, json={"avatar_id": "a", "scrpt": "x"}), 400)
    assert "script is required" in refused(api.post(DH_PATH, json={"avatar_id": "a"}), 400)
    assert "720p, 1080p" in refused(api.post(DH_PATH, json={"avatar_id": "a", "script": "x", "resolution": "4k"}), 400)
    assert "callback" in refused(
        api.post(DH_PATH, json={"avatar_id": "a", "script": "x", "callback_url": "ftp://x"}), 400
    )
    private = {"avatar_id": "a", "script": "x", "callback_url": "http://10.0.0.1/hook"}
    refused(api.post(DH_PATH, json=private), 400, "callback_url_refused")
    assert api.post(DH_PATH, json=private).json()["error"]["param"] == "callback_url"
    refused(api.post("/v1/vendors/nobody/here", json={}), 404, "not_found")
    assert "avatar" in refused(api.post(DH_PATH, json={"avatar_id": "missing", "script": "x"}), 404)  # upstream's 404
    assert refused(httpx.post(gateway.url + DH_PATH, json={}), 401)
    assert balances(gateway)["acme"] == BALANCE and api.get("/v1/tasks").json()["data"] == []
    assert len([r for r in human.requests if r.method == "POST"]) == 1
    assert_ledger_balanced(gateway)


def test_a_submit_fails_over_to_the_vendors_next_channel(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    human, human_url, _, ppt_url = serve_fakes(stack)
    broken, broken_url, _, _ = serve_fakes(stack)
    broken.knobs.error_next = 5
    channels = [
        vendor_channel("dh-broken", "digital-human", "digital-human", broken_url, DH_KEY, priority=10),
        vendor_channel("dh-good", "digital-human", "digital-human", human_url, DH_KEY),
    ]
    gateway = start(make_gateway, human_url, ppt_url, channels=channels)
    api = client(stack, gateway)
    done = wait_task(api, created(api.post(DH_PATH, json={"avatar_id": "a", "script": SCRIPT}))["id"])
    assert done["status"] == "succeeded" and broken.jobs.jobs == {} and len(human.jobs.jobs) == 1
    expected = math.ceil(video_seconds(SCRIPT)) * PER_SECOND
    assert balances(gateway)["acme"] == BALANCE - expected
    assert orjson.loads(orjson.dumps(done["result"]))["duration_s"] == video_seconds(SCRIPT)


def test_a_task_past_its_vendors_timeout_is_failed_and_refunded(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    human, human_url, _, ppt_url = serve_fakes(stack, step_s=0.05)
    human.knobs.hold = True
    tasks = {"poll_min_s": 0.05, "poll_max_s": 0.2, "sweep_interval_s": 0.1}
    gateway = start(make_gateway, human_url, ppt_url, tasks=tasks)
    api = client(stack, gateway)
    config = gateway.admin_json("GET", "/api/admin/task-vendors/digital-human")["config"]
    narrow = {**config, "name": "quick", "path": "/quick/videos", "timeout_s": 1}
    gateway.admin_json("POST", "/api/admin/task-vendors", json=narrow)
    gateway.admin_json("PUT", "/api/admin/prices/quick", json={"per_call": PER_SECOND})
    gateway.admin_json("POST", "/api/admin/channels", json=vendor_channel("quick", "quick", "quick", human_url, DH_KEY))
    task = created(api.post("/v1/vendors/quick/videos", json={"avatar_id": "a", "script": SCRIPT}))
    done = wait_task(api, task["id"])
    assert done["status"] == "failed" and "did not finish within 1 s" in done["error"]["message"], done
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)
