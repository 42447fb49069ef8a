"""The Suno API (spec §2A) through the gateway, against the fake Suno upstream: scenarios, money, links, hooks."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook

from conftest import USER_KEY, Gateway, assert_ledger_balanced, sqlite_only
from mj_support import Receiver, wait_for
from omnirelay.testing import FakeSuno, FakeSunoKnobs, serve_in_thread

UPSTREAM_KEY = "sk-suno-upstream"
OTHER_KEY = "sk-user-other-0000000000000000000000000000000000000000"
BALANCE = 10_000_000
PRICES = {
    "suno_music": 100_000,
    "suno_lyrics": 20_000,
    "suno_concat": 30_000,
    "suno_stems": 40_000,
    "suno_upload": 10_000,
    "suno_persona": 10_000,
}
TASK_KEYS = {
    "task_id",
    "action",
    "status",
    "fail_reason",
    "submit_time",
    "start_time",
    "finish_time",
    "progress",
    "data",
}
SONG = {
    "prompt": "[Verse]\nneon rain on empty streets\n[Chorus]\nwe run",
    "mv": "chirp-v4",
    "title": "Work",
    "tags": "edm",
}


@pytest.fixture
def suno(stack: ExitStack) -> Callable[..., tuple[FakeSuno, str]]:
    def make(**knobs: Any) -> tuple[FakeSuno, str]:
        fake = FakeSuno(FakeSunoKnobs(**{"step_s": 0.02, "api_key": UPSTREAM_KEY, **knobs}))
        return fake, stack.enter_context(serve_in_thread(fake.app))

    return make


def suno_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "suno", "base_url": url, "secrets": [UPSTREAM_KEY], "models": list(PRICES), **extra}


def start(make_gateway: Callable[..., Gateway], channels: list[dict[str, Any]], **extra: Any) -> Gateway:
    settings: dict[str, Any] = {
        "accounts": [{"name": "acme", "balance": BALANCE}, {"name": "other", "balance": BALANCE}],
        "keys": [
            {"account": "acme", "name": "main", "key": USER_KEY},
            {"account": "other", "name": "other", "key": OTHER_KEY},
        ],
        "channels": channels,
        "prices": [{"model": m, "mode": "per_call", "per_call": p} for m, p in PRICES.items()],
        "tasks": {"poll_min_s": 0.05, "poll_max_s": 0.2},
        "webhooks": {"allow_networks": ["127.0.0.1/32"], "retry_schedule_s": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2]},
        "outbound": {"allow_networks": ["127.0.0.1/32"]},  # the fake serves its media on loopback
    }
    settings.update(extra)
    return make_gateway(**settings)


def client(stack: ExitStack, gateway: Gateway, key: str = USER_KEY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"}
    return stack.enter_context(httpx.Client(base_url=gateway.url, headers=headers, timeout=30))


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["message"]) == ("success", ""), body
    return body["data"]


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body["data"]) == (code, None), body
    return str(body["message"])


def wait_task(api: httpx.Client, task_id: str) -> dict[str, Any]:
    seen: list[str] = []

    def finished() -> dict[str, Any] | None:
        task: dict[str, Any] = ok(api.get(f"/suno/fetch/{task_id}"))
        seen.append(task["status"])
        return task if task["status"] in ("SUCCESS", "FAILURE") else None

    task: dict[str, Any] = wait_for(finished, timeout=20, interval=0.02)
    task["seen"] = seen
    return task


def music(api: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    return wait_task(api, ok(api.post("/suno/submit/music", json=body)))


def balances(gateway: Gateway) -> dict[str, int]:
    accounts = gateway.admin_json("GET", "/api/admin/accounts")["data"]
    return {a["name"]: int(a["balance"]) for a in accounts}


def assert_gateway_links(task: dict[str, Any], gateway: Gateway, upstream: str) -> None:
    for clip in task["data"]:
        for field in ("audio_url", "video_url", "image_url", "image_large_url"):
            if clip.get(field):
                assert clip[field].startswith(f"{gateway.url}/suno/media/{task['task_id']}/"), clip[field]
                assert upstream not in clip[field]


def test_custom_and_inspiration_music_walk_to_success_with_two_playable_clips_billed_once(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno()
    gateway = start(make_gateway, [suno_channel("suno", url)])
    api = client(stack, gateway)

    custom = music(api, SONG)
    assert set(custom) - {"seen"} == TASK_KEYS
    assert (custom["status"], custom["action"], custom["progress"], custom["fail_reason"]) == (
        "SUCCESS",
        "MUSIC",
        "100%",
        "",
    )
    assert len(custom["data"]) == 2 and all(c["status"] == "complete" for c in custom["data"])
    assert custom["submit_time"] <= custom["start_time"] <= custom["finish_time"] <= time.time() + 1
    assert custom["data"][0]["metadata"]["prompt"] == SONG["prompt"]
    assert_gateway_links(custom, gateway, url)
    audio = httpx.get(custom["data"][0]["audio_url"])  # no key: the link is signed
    assert audio.status_code == 200 and audio.headers["content-type"].startswith("audio/"), audio.text
    assert len(audio.content) > 1000
    cover = httpx.get(custom["data"][1]["image_url"])
    assert cover.status_code == 200 and cover.content.startswith(b"\x89PNG")
    forged = custom["data"][0]["audio_url"].split("?")[0] + "?sig=0123"
    assert httpx.get(forged).status_code == 404
    assert url not in str(ok(api.post("/suno/fetch", json={"ids": [custom["task_id"]]})))

    inspiration = music(api, {"gpt_description_prompt": "nostalgia on a summer night", "mv": "chirp-v4"})
    assert inspiration["status"] == "SUCCESS" and len(inspiration["data"]) == 2
    assert set(inspiration["seen"]) <= {"SUBMITTED", "QUEUED", "IN_PROGRESS", "SUCCESS"}

    assert balances(gateway)["acme"] == BALANCE - 2 * PRICES["suno_music"]
    assert_ledger_balanced(gateway)


def submits(fake: FakeSuno) -> list[Any]:
    return [r.json for r in fake.requests if r.path.startswith("/suno/submit/")]


def test_lyrics_then_every_continuation_runs_on_the_channel_that_made_the_clip(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    first, first_url = suno()
    second, second_url = suno()
    gateway = start(make_gateway, [suno_channel("a", first_url), suno_channel("b", second_url)])
    api = client(stack, gateway)

    lyrics = wait_task(api, ok(api.post("/suno/submit/lyrics", json={"prompt": "a song about rain"})))
    assert (lyrics["action"], lyrics["status"]) == ("LYRICS", "SUCCESS")
    assert set(lyrics["data"]) == {"id", "status", "title", "text"} and lyrics["data"]["text"]

    original = music(api, SONG)
    clip = original["data"][0]["id"]
    maker = first if submits(first) and submits(first)[-1].get("prompt") == SONG["prompt"] else second
    made = len(submits(maker))
    extend = {
        "task": "extend", "task_id": original["task_id"], "continue_clip_id": clip, "continue_at": 2,
        "prompt": "[Verse 3]\nstill running", "tags": "rap", "mv": "chirp-v4", "title": "Work (extended)",
        "my_new_field": {"kept": True},
    }  # fmt: skip
    extended = music(api, extend)
    assert extended["status"] == "SUCCESS" and len(extended["data"]) == 2
    sent = submits(maker)[made]
    assert sent["continue_clip_id"] == clip and sent["my_new_field"] == {"kept": True}  # unknown keys forwarded
    assert sent["task_id"] != original["task_id"]  # the upstream's own id of the continued task
    cover = music(api, {"task": "cover", "cover_clip_id": clip, "prompt": "x", "tags": "punk", "mv": "chirp-v4-tau"})
    stems = music(api, {"task": "gen_stem", "continue_clip_id": clip, "mv": "chirp-auk", "stem_task": "two"})
    assert cover["status"] == stems["status"] == "SUCCESS"
    infill = music(
        api,
        {"task": "infill", "continue_clip_id": clip, "infill_start_s": 1, "infill_end_s": 2, "prompt": "new",
         "mv": "chirp-v3-5-tau"},
    )  # fmt: skip
    concat_id = ok(api.post("/suno/submit/concat", json={"clip_id": infill["data"][0]["id"], "is_infill": True}))
    concat = wait_task(api, concat_id)
    assert concat["status"] == "SUCCESS" and concat["action"] == "MUSIC" and len(concat["data"]) == 1
    assert len(submits(maker)) == made + 5  # every continuation went where the clip was made
    assert all(link.startswith(gateway.url) for link in (concat["data"][0]["audio_url"],))

    expected = PRICES["suno_lyrics"] + 4 * PRICES["suno_music"] + PRICES["suno_stems"] + PRICES["suno_concat"]
    assert balances(gateway)["acme"] == BALANCE - expected
    assert_ledger_balanced(gateway)


def test_tasks_and_clips_of_another_account_do_not_exist_for_the_caller(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno()
    gateway = start(make_gateway, [suno_channel("suno", url)])
    mine, theirs = client(stack, gateway), client(stack, gateway, OTHER_KEY)
    task = music(mine, SONG)
    clip = task["data"][0]["id"]
    refused(theirs.get(f"/suno/fetch/{task['task_id']}"), 400, "task_not_exist")
    assert ok(theirs.post("/suno/fetch", json={"ids": [task["task_id"], "nope"]})) == []
    assert ok(mine.post("/suno/fetch", json={"ids": ["nope", task["task_id"]]}))[0]["task_id"] == task["task_id"]
    assert ok(mine.post("/suno/fetch", json={"ids": []})) == []
    assert ok(mine.post("/suno/fetch", json={"ids": [task["task_id"]], "action": "LYRICS"})) == []
    extend = {"task": "extend", "task_id": task["task_id"], "continue_clip_id": clip, "prompt": "x", "mv": "chirp-v4"}
    refused(theirs.post("/suno/submit/music", json=extend), 400, "task_not_exist")
    refused(theirs.post("/suno/submit/music", json={"task": "cover", "cover_clip_id": clip}), 400, "task_not_exist")
    refused(theirs.post("/suno/submit/concat", json={"clip_id": clip}), 400, "task_not_exist")
    refused(mine.post("/suno/submit/music", json={**extend, "continue_clip_id": "not-a-clip"}), 400, "task_not_exist")
    refused(mine.get("/suno/fetch/unknown"), 400, "task_not_exist")
    refused(httpx.get(f"{gateway.url}/suno/fetch/{task['task_id']}"), 401, "missing_api_key")
    assert balances(gateway) == {"acme": BALANCE - PRICES["suno_music"], "other": BALANCE}
    assert_ledger_balanced(gateway)


BAD = [
    ({"mv": "chirp-v4", "title": "no lyrics"}, "prompt"),
    ({"prompt": "la la", "mv": "chirp-v99"}, "mv"),
    ({"task": "extend", "continue_clip_id": "c1", "prompt": "x"}, "task_id"),
    ({"task": "remix", "prompt": "x"}, "task"),
    ({"task": "cover", "prompt": "x"}, "cover_clip_id"),
    ({"task": "infill", "continue_clip_id": "c1", "infill_start_s": 5, "infill_end_s": 2}, "infill_end_s"),
    ({"task": "artist_consistency", "artist_clip_id": "c1"}, "persona_id"),
    ({"prompt": "la", "make_instrumental": "yes"}, "make_instrumental"),
    ({"prompt": "la", "notify_hook": "http://10.0.0.8/hook"}, "callback URL"),
]


@sqlite_only
def test_bad_submits_answer_invalid_request_and_charge_nothing(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno()
    gateway = start(make_gateway, [suno_channel("suno", url)], webhooks={"allow_networks": []})
    api = client(stack, gateway)
    for body, mentioned in BAD:
        assert mentioned in refused(api.post("/suno/submit/music", json=body), 400, "invalid_request"), body
    assert "prompt" in refused(api.post("/suno/submit/lyrics", json={"prompt": " "}), 400, "invalid_request")
    assert "clip_id" in refused(api.post("/suno/submit/concat", json={}), 400, "invalid_request")
    private = {"url": "http://127.0.0.1:9/song.mp3"}
    assert "public" in refused(api.post("/suno/uploads/audio-url", json=private), 400, "invalid_request")
    refused(api.post("/suno/submit/music", content=b"[1]"), 400, "invalid_request")
    refused(api.post("/suno/fetch", json={"ids": "x"}), 400, "invalid_request")
    assert submits(fake) == []
    assert balances(gateway)["acme"] == BALANCE
    assert_ledger_balanced(gateway)


def test_upstream_failures_refusals_and_timeouts_are_refunded_and_reported(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno()
    accounts = [{"name": "acme", "balance": BALANCE}, {"name": "other", "balance": 10}]
    tasks = {"poll_min_s": 0.05, "poll_max_s": 0.2, "timeout_s": 2, "sweep_interval_s": 0.1}
    gateway = start(make_gateway, [suno_channel("suno", url)], relay={"retries": 0}, accounts=accounts, tasks=tasks)
    api = client(stack, gateway)
    fake.knobs.fail_tasks = 1
    failed = music(api, SONG)
    assert (failed["status"], failed["progress"]) == ("FAILURE", "100%") and failed["fail_reason"]
    fake.knobs.queue_full = True
    refused(api.post("/suno/submit/music", json=SONG), 429, "upstream_error")
    fake.knobs.queue_full = False
    fake.knobs.fail_next = 1
    refused(api.post("/suno/submit/music", json=SONG), 502, "upstream_error")
    refused(client(stack, gateway, OTHER_KEY).post("/suno/submit/music", json=SONG), 403, "quota_not_enough")
    fake.knobs.hold = True  # never finishes: the gateway gives up at tasks.timeout_s and refunds
    stuck = music(api, SONG)
    assert stuck["status"] == "FAILURE" and "did not finish" in stuck["fail_reason"]
    wait_for(lambda: balances(gateway) == {"acme": BALANCE, "other": 10})
    assert_ledger_balanced(gateway)


def test_notify_hook_gets_signed_webhooks_with_what_fetch_answers(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno(step_s=0.5)  # each state lasts longer than the longest poll interval
    hook = Receiver()
    hook_url = stack.enter_context(serve_in_thread(hook.app)) + "/hook"
    gateway = start(make_gateway, [suno_channel("suno", url)])
    api = client(stack, gateway)
    task = music(api, {**SONG, "notify_hook": hook_url})
    secret = gateway.admin_json("GET", "/api/admin/accounts/1/webhook")["secret"]
    events = wait_for(lambda: hook.received if any(b'"SUCCESS"' in body for _, body in hook.received) else None)
    bodies = [Webhook(secret).verify(body.decode(), headers) for headers, body in events]
    statuses = [b["data"]["status"] for b in bodies]
    assert statuses[0] == "SUBMITTED" and "QUEUED" in statuses and statuses[-1] == "SUCCESS"
    del task["seen"]
    assert bodies[-1] == {"code": "success", "message": "", "data": task}
    assert all(url not in body.decode() for _, body in events)
    assert not any(r.json and r.json.get("notify_hook") for r in fake.requests)  # the client's URL stays here

    gateway.admin_json("PUT", "/api/admin/accounts/1/webhook", json={"url": hook_url})  # the account's default
    lyrics_id = ok(api.post("/suno/submit/lyrics", json={"prompt": "rain"}))
    pushed = wait_for(lambda: [b for _, b in hook.received if lyrics_id.encode() in b and b'"SUCCESS"' in b])
    final = wait_task(api, lyrics_id)
    del final["seen"]
    assert orjson.loads(pushed[-1]) == {"code": "success", "message": "", "data": final}


def test_upload_flow_persona_and_their_clips_continue_on_the_same_channel(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno()
    gateway = start(make_gateway, [suno_channel("suno", url)])
    api, theirs = client(stack, gateway), client(stack, gateway, OTHER_KEY)
    original = music(api, SONG)
    mp3 = httpx.get(original["data"][0]["audio_url"]).content

    upload = api.post("/suno/uploads/audio", json={"extension": "mp3"})
    assert upload.status_code == 200 and set(upload.json()) == {"id", "url", "fields", "is_file_uploaded"}
    upload_id, target, fields = upload.json()["id"], upload.json()["url"], upload.json()["fields"]
    assert all(upload_id != r.path.split("/")[-1] for r in fake.requests)  # the gateway minted its own id
    assert httpx.post(target, data=fields, files={"file": ("song.mp3", mp3, "audio/mpeg")}).status_code == 204
    finish = {"upload_type": "file_upload", "upload_filename": "song.mp3"}
    assert api.post(f"/suno/uploads/audio/{upload_id}/upload-finish", json=finish).json() == {}
    refused(theirs.get(f"/suno/uploads/audio/{upload_id}"), 400, "task_not_exist")
    status = wait_for(lambda: (s := api.get(f"/suno/uploads/audio/{upload_id}").json())["status"] == "complete" and s)
    assert status["id"] == upload_id and status["image_url"] is None  # never the upstream's link
    clip_id = api.post(f"/suno/uploads/audio/{upload_id}/initialize-clip", json={}).json()["clip_id"]
    extend = {
        "task": "upload_extend",
        "continue_clip_id": clip_id,
        "continue_at": 1,
        "prompt": "more",
        "mv": "chirp-v4",
    }
    assert music(api, extend)["status"] == "SUCCESS"
    refused(theirs.post("/suno/submit/music", json=extend), 400, "task_not_exist")
    refused(api.get(f"/suno/fetch/{upload_id}"), 400, "task_not_exist")  # an upload is not a task

    imported = ok(api.post("/suno/uploads/audio-url", json={"url": original["data"][1]["audio_url"]}))
    persona = api.post(
        "/suno/persona/create/",
        json={"root_clip_id": imported, "name": "Neon", "description": "synth voice", "clips": [imported]},
    )
    assert persona.status_code == 200 and persona.json()["name"] == "Neon", persona.text
    refused(theirs.post("/suno/persona/create/", json={"root_clip_id": imported, "name": "x"}), 400, "task_not_exist")
    sung = music(
        api,
        {"task": "artist_consistency", "persona_id": persona.json()["id"], "artist_clip_id": imported, "prompt": "la",
         "tags": "pop", "mv": "chirp-v4-tau"},
    )  # fmt: skip
    assert sung["status"] == "SUCCESS"
    expected = 3 * PRICES["suno_music"] + 2 * PRICES["suno_upload"] + PRICES["suno_persona"]
    assert balances(gateway) == {"acme": BALANCE - expected, "other": BALANCE}
    assert_ledger_balanced(gateway)


@sqlite_only
def test_a_gcui_channel_serves_the_same_task_objects(
    make_gateway: Callable[..., Gateway], suno: Any, stack: ExitStack
) -> None:
    fake, url = suno(dialect="gcui")
    accounts = [f"__client={UPSTREAM_KEY}", UPSTREAM_KEY]  # sent as a cookie, and as a Bearer token
    gateway = start(make_gateway, [suno_channel("suno", url, options={"dialect": "gcui"}, secrets=accounts)])
    api = client(stack, gateway)
    task = music(api, SONG)
    assert task["status"] == "SUCCESS" and len(task["data"]) == 2
    assert_gateway_links(task, gateway, url)
    assert httpx.get(task["data"][0]["audio_url"]).headers["content-type"].startswith("audio/")
    lyrics = wait_task(api, ok(api.post("/suno/submit/lyrics", json={"prompt": "rain"})))
    assert lyrics["status"] == "SUCCESS" and lyrics["data"]["text"]
    extend = {"task": "extend", "task_id": task["task_id"], "continue_clip_id": task["data"][0]["id"], "prompt": "x"}
    for _ in range(3):
        assert music(api, extend)["status"] == "SUCCESS"
    made_with = [
        ("cookie" in r.headers) for r in fake.requests if r.path in ("/api/custom_generate", "/api/extend_audio")
    ]
    assert len(made_with) == 4 and len(set(made_with)) == 1  # every extend used the upstream account of the clip
    assert balances(gateway)["acme"] == BALANCE - 4 * PRICES["suno_music"] - PRICES["suno_lyrics"]
    assert_ledger_balanced(gateway)
