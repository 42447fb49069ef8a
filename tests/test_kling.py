"""Kling's official API (spec §3) through the gateway, against the fake Kling upstream: tasks, money, links, hooks."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import jwt
import orjson
from standardwebhooks import Webhook

from conftest import Gateway, assert_ledger_balanced
from kling_support import (
    ACCESS_KEY,
    BALANCE,
    OTHER_KEY,
    PRICES,
    TASK_KEYS,
    balances,
    client,
    kling_channel,
    ok,
    picture,
    refused,
    serve_kling,
    start,
    wait_task,
)
from mj_support import Receiver, wait_for
from omnirelay.testing import serve_in_thread

T2V = "/v1/videos/text2video"
I2V = "/v1/videos/image2video"
IMAGES = "/v1/images/generations"


def test_text_to_video_walks_to_succeed_billed_once_with_a_streamed_gateway_video_and_signed_callbacks(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack, step_s=0.4, video_padding_bytes=3_000_000)  # states outlast poll intervals
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)

    body = {"model_name": "kling-v1", "prompt": "a fox runs", "mode": "pro", "duration": "10",
            "aspect_ratio": "9:16", "callback_url": hook_url, "external_task_id": "mine-1"}  # fmt: skip
    created = ok(api.post(T2V, json=body))
    assert set(created) == {"task_id", "task_status", "task_info", "created_at", "updated_at"}
    assert created["task_status"] == "submitted" and created["task_info"] == {"external_task_id": "mine-1"}
    assert len(created["task_id"]) == 18 and created["created_at"] > 10**12  # milliseconds
    task = wait_task(api, T2V, created["task_id"])
    assert task["task_status"] == "succeed" and "processing" in task["seen"], task
    assert set(task) - {"seen"} == TASK_KEYS | {"task_result"}
    video = task["task_result"]["videos"][0]
    assert video["duration"] == "10" and video["url"].startswith(f"{gateway.url}/kling/media/{task['task_id']}/")
    assert url not in str(task)
    assert ok(api.get(f"{T2V}/mine-1"))["task_id"] == task["task_id"]  # by external_task_id

    with httpx.stream("GET", video["url"], timeout=30) as download:  # no key: the link is signed
        assert download.status_code == 200 and download.headers["content-type"] == "video/mp4"
        chunks = list(download.iter_bytes())
    assert b"ftyp" in chunks[0][:12] and sum(map(len, chunks)) > 3_000_000 and len(chunks) > 1
    assert download.headers["accept-ranges"] == "bytes"
    seek = httpx.get(video["url"], headers={"Range": "bytes=1000-1999"}, timeout=30)  # a player seeking
    assert seek.status_code == 206 and seek.content == b"".join(chunks)[1000:2000]
    assert seek.headers["content-range"] == f"bytes 1000-1999/{sum(map(len, chunks))}"
    assert httpx.get(video["url"].split("?")[0] + "?sig=0123").status_code == 404

    assert balances(gateway)["acme"] == BALANCE - PRICES["kling-v1:pro:10"]
    assert_ledger_balanced(gateway)
    sent = [r.json for r in fake.requests if r.method == "POST"]
    assert sent[0]["mode"] == "pro" and "callback_url" not in sent[0]  # the client's URL stays here

    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    events = wait_for(lambda: hook.received if any(b'"succeed"' in b for _, b in hook.received) else None)
    bodies = [Webhook(secret).verify(raw.decode(), headers) for headers, raw in events]
    assert [b["task_status"] for b in bodies][0] == "submitted" and bodies[-1]["task_status"] == "succeed"
    del task["seen"]
    assert bodies[-1] == task and url not in str(bodies)


def test_a_failed_task_is_refunded_and_says_why(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_kling(stack, fail_prompts_containing=["doomed"])
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    created = ok(api.post(I2V, json={"model_name": "kling-v1", "image": picture(), "prompt": "doomed wave"}))
    task = wait_task(api, I2V, created["task_id"])
    assert task["task_status"] == "failed" and "fail" in task["task_status_msg"]
    assert "task_result" not in task
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_images_bill_per_image_and_answer_on_kling_and_aggregator_paths(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack)
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    first = ok(api.post(IMAGES, json={"model_name": "kling-v1", "prompt": "a red apple", "n": 2}))
    second = ok(api.post("/kling" + IMAGES, json={"prompt": "a green pear", "aspect_ratio": "3:2"}))
    done = wait_task(api, IMAGES, first["task_id"])
    assert wait_task(api, "/kling" + IMAGES, second["task_id"])["task_status"] == "succeed"
    images = done["task_result"]["images"]
    assert [i["index"] for i in images] == [0, 1]
    png = httpx.get(images[1]["url"])
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert balances(gateway)["acme"] == BALANCE - 3 * PRICES["kling-v1:image"]
    listed = ok(api.get(IMAGES, params={"pageNum": 1, "pageSize": 1}))
    assert [t["task_id"] for t in listed] == [second["task_id"]]
    assert ok(api.get(T2V)) == []  # another kind's list
    assert_ledger_balanced(gateway)


def test_openai_image_requests_on_the_shared_path_still_reach_openai(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack)
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    answer = api.post(IMAGES, json={"model": "dall-e-3", "prompt": "a cat"})
    assert answer.status_code == 400 and answer.json()["error"]["param"] == "model", answer.text  # OpenAI's shape
    assert not fake.tasks


def test_an_expired_token_is_minted_again_and_the_task_still_finishes(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack, token_lifetime_s=1.2, step_s=0.8)
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    created = ok(api.post(T2V, json={"prompt": "slow clouds"}))
    assert wait_task(api, T2V, created["task_id"])["task_status"] == "succeed"
    tokens = [r.headers["authorization"].removeprefix("Bearer ") for r in fake.requests if r.path.startswith("/v1/")]
    claims = [jwt.decode(t, options={"verify_signature": False}) for t in tokens]
    assert {c["iss"] for c in claims} == {ACCESS_KEY} and all(c["exp"] - c["nbf"] == 1805 for c in claims)
    assert len(set(tokens)) >= 2  # refused once stale, then sent fresh
    assert balances(gateway)["acme"] == BALANCE - PRICES["kling-v1"]
    assert gateway.admin_json("GET", "/api/admin/channels")["data"][0]["enabled"]


def test_a_create_fails_over_to_the_next_kling_channel(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    broken, broken_url = serve_kling(stack, error_next=1, out_of_resources=True)
    healthy, healthy_url = serve_kling(stack)
    channels = [kling_channel("a", broken_url, priority=10), kling_channel("b", healthy_url, priority=0)]
    gateway = start(make_gateway, channels)
    api = client(stack, gateway)
    created = ok(api.post(T2V, json={"prompt": "a boat"}))
    assert wait_task(api, T2V, created["task_id"])["task_status"] == "succeed"
    assert not broken.tasks and len(healthy.tasks) == 1
    assert balances(gateway)["acme"] == BALANCE - PRICES["kling-v1"]
    assert_ledger_balanced(gateway)


def test_another_accounts_task_is_not_found(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_kling(stack)
    gateway = start(make_gateway, [kling_channel("kling", url)])
    mine, theirs = client(stack, gateway), client(stack, gateway, OTHER_KEY)
    created = ok(mine.post(T2V, json={"prompt": "a secret", "external_task_id": "ext-9"}))
    for path in (f"{T2V}/{created['task_id']}", f"{T2V}/ext-9"):
        refused(theirs.get(path), 404, 1203)
    refused(mine.get(f"{I2V}/{created['task_id']}"), 404, 1203)  # another kind's path
    refused(mine.get(f"{T2V}/123456789012345678"), 404, 1203)
    assert ok(theirs.get(T2V)) == [] and len(ok(mine.get(T2V))) == 1
    refused(httpx.get(gateway.url + T2V), 401, 1002)


def test_bad_input_is_refused_in_klings_shape_and_nothing_is_stored_or_charged(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack, moderate_prompts_containing=["forbidden"])
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    bad: list[tuple[str, dict[str, Any], str]] = [
        (T2V, {"model_name": "kling-v1"}, "prompt"),
        (T2V, {"prompt": "x" * 2501}, "prompt"),
        (T2V, {"prompt": "a", "duration": "7"}, "duration"),
        (T2V, {"prompt": "a", "aspect_ratio": "4:3"}, "aspect_ratio"),
        (T2V, {"prompt": "a", "mode": "ultra"}, "mode"),
        (I2V, {"prompt": "a"}, "image"),
        (I2V, {"image": "bm90IGFuIGltYWdl"}, "image"),  # base64 of "not an image"
        (I2V, {"image": picture(100, 100)}, "image"),
        (I2V, {"image": picture(900, 300)}, "image"),
        (I2V, {"image": "data:image/png;base64," + picture()}, "image"),
        (IMAGES, {"model_name": "kling-v1", "prompt": "a", "n": 10}, "n"),
        (IMAGES, {"prompt": "a", "resolution": "8k"}, "resolution"),
        ("/kling" + IMAGES, {"n": 1}, "prompt"),
        (T2V, {"prompt": "a", "callback_url": "http://10.1.2.3/hook"}, "callback"),
        (T2V, {"prompt": "a", "callback_url": "http://169.254.169.254/latest/meta-data"}, "callback"),
    ]
    for path, body, word in bad:
        assert word in refused(api.post(path, json=body), 400, 1201), body
    refused(api.post(T2V, content=b"{not json"), 400, 1201)
    refused(api.post(T2V, json={"model_name": "kling-unknown", "prompt": "a"}), 404, 1203)
    refused(api.post(T2V, json={"prompt": "forbidden dance"}), 400, 1301)  # the upstream's content check
    assert not fake.tasks
    assert balances(gateway)["acme"] == BALANCE and ok(api.get(T2V)) == []
    assert_ledger_balanced(gateway)


def test_webhook_payload_is_klings_callback_body(make_gateway: Callable[..., Gateway], stack: ExitStack) -> None:
    fake, url = serve_kling(stack)
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    created = ok(api.post(IMAGES, json={"prompt": "a lamp", "callback_url": hook_url}))
    wait_task(api, IMAGES, created["task_id"])
    last = orjson.loads(wait_for(lambda: [b for _, b in hook.received if b'"succeed"' in b])[-1])
    assert last["task_id"] == created["task_id"] and last["task_result"]["images"][0]["url"].startswith(gateway.url)


def test_each_task_is_followed_with_the_key_pair_that_created_it(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    second = ("ak-kling-second", "sk-kling-second-0123456789abcdef0123")
    fake, url = serve_kling(stack)
    fake.knobs.keys[second[0]] = second[1]  # one upstream, two accounts: each sees only its own tasks
    pairs = [f"{ACCESS_KEY}|{fake.knobs.keys[ACCESS_KEY]}", "|".join(second)]
    gateway = start(make_gateway, [kling_channel("kling", url, secrets=pairs)])
    api = client(stack, gateway)
    ids = [ok(api.post(T2V, json={"prompt": f"clip {n}"}))["task_id"] for n in range(4)]
    assert {wait_task(api, T2V, task_id)["task_status"] for task_id in ids} == {"succeed"}
    owners = {jwt.decode(r.headers["authorization"][7:], options={"verify_signature": False})["iss"]
              for r in fake.requests if r.method == "POST"}  # fmt: skip
    assert owners == {ACCESS_KEY, second[0]}
    assert balances(gateway)["acme"] == BALANCE - 4 * PRICES["kling-v1"]


def test_a_task_the_upstream_never_finishes_times_out_refunded(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack, hold=True)
    tasks = {"poll_min_s": 0.05, "poll_max_s": 0.2, "timeout_s": 1.0, "sweep_interval_s": 0.1}
    gateway = start(make_gateway, [kling_channel("kling", url)], tasks=tasks)
    api = client(stack, gateway)
    created = ok(api.post(T2V, json={"prompt": "forever"}))
    task = wait_task(api, T2V, created["task_id"])
    assert task["task_status"] == "failed" and "did not finish" in task["task_status_msg"]
    assert balances(gateway)["acme"] == BALANCE
    fake.release()
    assert_ledger_balanced(gateway)


def test_a_task_that_made_less_than_it_asked_for_costs_what_it_made(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_kling(stack, images_made=1, video_seconds="5.1")
    gateway = start(make_gateway, [kling_channel("kling", url)])
    api = client(stack, gateway)
    video = ok(api.post(T2V, json={"prompt": "a long shot", "mode": "pro", "duration": "10"}))
    images = ok(api.post(IMAGES, json={"model_name": "kling-v1", "prompt": "three pears", "n": 3}))
    assert wait_task(api, T2V, video["task_id"])["task_result"]["videos"][0]["duration"] == "5.1"
    assert len(wait_task(api, IMAGES, images["task_id"])["task_result"]["images"]) == 1
    charged = PRICES["kling-v1"] + PRICES["kling-v1:image"]  # a 5 s video at the model's price; 1 image of 3
    assert balances(gateway)["acme"] == BALANCE - charged
    assert_ledger_balanced(gateway)
