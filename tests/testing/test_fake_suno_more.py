"""The fake Suno upstream's upload flow, its gcui-art/suno-api dialect (/api/*), and its knobs."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from serve_process import free_port
from suno_support import (
    INFO_KEYS,
    KEY,
    SONG,
    Env,
    music,
    ok,
    refused,
    serve_suno,
    song,
    wait_clips,
)


@pytest.fixture
def suno() -> Iterator[Env]:
    with serve_suno() as env:
        yield env


# --- newapi dialect: uploads ------------------------------------------------------------------------------


def upload(client: httpx.Client, content: bytes, step_s: float = 0.01) -> tuple[str, list[str]]:
    """Run the whole upload flow up to ``complete`` (or ``error``); the upload id and the statuses seen."""
    created = client.post("/suno/uploads/audio", json={"extension": "wav"}).json()
    assert set(created) == {"id", "url", "fields", "is_file_uploaded"} and created["is_file_uploaded"] is False
    assert set(created["fields"]) == {"Content-Type", "key", "AWSAccessKeyId", "policy", "signature"}
    posted = httpx.post(created["url"], data=created["fields"], files={"file": ("x.wav", content, "audio/wav")})
    assert posted.status_code == 204, posted.text
    finish = {"upload_type": "file_upload", "upload_filename": "take one.wav"}
    assert client.post(f"/suno/uploads/audio/{created['id']}/upload-finish", json=finish).json() == {}
    seen: list[str] = []
    deadline = time.monotonic() + 5
    while True:
        status = client.get(f"/suno/uploads/audio/{created['id']}").json()
        assert set(status) == {"id", "status", "error_message", "s3_id", "title", "image_url"}
        if not seen or seen[-1] != status["status"]:
            seen.append(status["status"])
        if status["status"] in ("complete", "error"):
            return created["id"], seen
        assert time.monotonic() < deadline
        time.sleep(min(0.01, step_s / 4))


def test_upload_flow_walks_to_a_clip_that_plays_the_upload(suno: Env) -> None:
    fake, client, _ = suno
    _, clip = song(client)
    content = httpx.get(ok(client.get(f"/suno/act/wav/{clip['id']}"))["wav_file_url"]).content
    created = client.post("/suno/uploads/audio", json={"extension": "mp3"}).json()
    early = client.post(f"/suno/uploads/audio/{created['id']}/upload-finish", json={})
    assert early.status_code == 400 and "upload url" in early.json()["detail"]
    forged = {**created["fields"], "signature": "forged"}
    denied = httpx.post(created["url"], data=forged, files={"file": ("x.mp3", b"ID3", "audio/mpeg")})
    assert denied.status_code == 403 and "<Code>AccessDenied</Code>" in denied.text
    fake.knobs.step_s = 0.25  # long enough for the polls below to see every stage
    upload_id, seen = upload(client, content, 0.25)
    assert seen == ["processing", "passed_audio_processing", "passed_artist_moderation", "complete"]
    status = client.get(f"/suno/uploads/audio/{upload_id}").json()
    assert (status["title"], status["s3_id"], status["error_message"]) == ("take one", f"m_{upload_id}", None)
    assert httpx.get(status["image_url"]).headers["content-type"] == "image/png"
    clip_id = client.post(f"/suno/uploads/audio/{upload_id}/initialize-clip", json={}).json()["clip_id"]
    assert client.post(f"/suno/uploads/audio/{upload_id}/initialize-clip", json={}).json()["clip_id"] == clip_id
    uploaded = client.get("/api/clip", params={"id": clip_id}).json()
    assert (uploaded["status"], uploaded["metadata"]["type"], uploaded["title"]) == ("complete", "upload", "take one")
    assert uploaded["metadata"]["duration"] == 4.0 and httpx.get(uploaded["audio_url"]).content == content
    fake.knobs.step_s = 0.01
    extend = {
        "task": "upload_extend",
        "continue_clip_id": clip_id,
        "continue_at": 10,
        "prompt": "lyrics",
        "mv": "chirp-v4",
    }
    extended = music(client, extend)["data"][0]
    assert extended["metadata"]["history"][0]["continue_at"] == 4.0  # clamped to the upload's length


def test_upload_of_a_file_that_is_not_audio_ends_in_error(suno: Env) -> None:
    _, client, _ = suno
    upload_id, seen = upload(client, b"%PDF-1.7 not audio")
    assert seen[-1] == "error"
    status = client.get(f"/suno/uploads/audio/{upload_id}").json()
    assert "not MP3, WAV" in status["error_message"]
    refusal = client.post(f"/suno/uploads/audio/{upload_id}/initialize-clip", json={})
    assert refusal.status_code == 400 and "error" in refusal.json()["detail"]


def test_audio_url_makes_a_clip_from_a_link(suno: Env) -> None:
    _, client, _ = suno
    _, clip = song(client)
    clip_id = ok(client.post("/suno/uploads/audio-url", json={"url": clip["audio_url"]}))
    made = client.get("/api/clip", params={"id": clip_id}).json()
    assert made["metadata"]["type"] == "upload" and made["status"] == "complete"
    assert httpx.get(made["audio_url"]).content == httpx.get(clip["audio_url"]).content
    refused(client.post("/suno/uploads/audio-url", json={"url": clip["image_url"]}), 400)


# --- gcui dialect ------------------------------------------------------------------------------------------


def test_gcui_generate_custom_and_get(suno: Env) -> None:
    _, client, _ = suno
    made = client.post("/api/generate", json={"prompt": "rainy day", "make_instrumental": False}).json()
    assert len(made) == 2 and all(INFO_KEYS | {"negative_tags"} == set(info) for info in made)
    assert {info["status"] for info in made} == {"submitted"} and made[0]["model_name"] == "chirp-v3-5"
    assert made[0]["gpt_description_prompt"] == "rainy day" and made[0]["duration"] is None
    done = wait_clips(client, [info["id"] for info in made])
    assert all(INFO_KEYS | {"error_message"} == set(info) for info in done)
    assert done[0]["title"] == "Rainy Day" and done[0]["lyric"].startswith("[Verse]\nRainy day")
    assert "\n\n" not in done[0]["lyric"] and done[0]["duration"] == 4.0
    custom = {"prompt": SONG["prompt"], "tags": "edm", "title": "Work", "negative_tags": "jazz", "model": "chirp-v4"}
    made = client.post("/api/custom_generate", json=custom).json()
    assert (made[0]["title"], made[0]["negative_tags"], made[0]["model_name"]) == ("Work", "jazz", "chirp-v4")
    feed = client.get("/api/get").json()
    assert len(feed) == 4 and {info["id"] for info in made} <= {info["id"] for info in feed}
    assert client.get("/api/get", params={"ids": f"{made[1]['id']},nope"}).json()[0]["id"] == made[1]["id"]


def test_gcui_wait_audio_extend_concat_and_lyrics(suno: Env) -> None:
    _, client, _ = suno
    made = client.post("/api/generate", json={"prompt": "sunrise", "wait_audio": True}).json()
    assert {info["status"] for info in made} <= {"streaming", "complete"} and "error_message" in made[0]
    assert client.post("/api/extend_audio", json={}).json() == {"error": "Audio ID is required"}
    unknown = client.post("/api/extend_audio", json={"audio_id": str(uuid.uuid4())})
    assert unknown.status_code == 404 and unknown.json()["error"].startswith("API Error: ")
    first = wait_clips(client, [made[0]["id"]])[0]
    extended = client.post("/api/extend_audio", json={"audio_id": first["id"], "continue_at": 1, "prompt": "more"})
    extension = wait_clips(client, [extended.json()[0]["id"]])[0]
    assert extension["status"] == "complete"
    assert client.get("/api/clip", params={"id": extension["id"]}).json()["metadata"]["history"][0]["id"] == first["id"]
    assert client.post("/api/concat", json={}).json() == {"error": "Clip id is required"}
    whole = client.post("/api/concat", json={"clip_id": extension["id"]}).json()
    assert whole["metadata"]["type"] == "concat" and whole["status"] == "submitted"
    assert wait_clips(client, [whole["id"]])[0]["duration"] == 5.0
    lyrics = client.post("/api/generate_lyrics", json={"prompt": "city lights"}).json()
    assert lyrics["status"] == "complete" and lyrics["title"] == "City Lights" and "[Verse]" in lyrics["text"]


def test_gcui_lookups_and_chat(suno: Env) -> None:
    _, client, _ = suno
    before = client.get("/api/get_limit").json()
    assert before == {"credits_left": 2500, "period": "month", "monthly_limit": 2500, "monthly_usage": 0}
    _, clip = song(client)
    assert client.get("/api/get_limit").json()["credits_left"] == 2490
    aligned = client.get("/api/get_aligned_lyrics", params={"song_id": clip["id"]}).json()
    assert aligned[0]["word"] == "neon" and set(aligned[0]) == {"word", "start_s", "end_s", "success", "p_align"}
    assert client.get("/api/get_aligned_lyrics").json() == {"error": "Song ID is required"}
    raw = client.get("/api/clip", params={"id": clip["id"]}).json()
    assert raw["id"] == clip["id"] and raw["metadata"] == clip["metadata"]
    assert client.get("/api/clip").json() == {"error": "Missing parameter id"}
    missing = client.get("/api/clip", params={"id": "nope"})
    assert (missing.status_code, missing.json()) == (500, {"error": "Internal server error"})
    chat = client.post(
        "/v1/chat/completions", json={"model": "suno", "messages": [{"role": "user", "content": "jazz"}]}
    )
    assert chat.headers["content-type"].startswith("text/plain")
    assert chat.text.startswith("## Song Title: Jazz\n![Song Cover](") and "### Listen to the song: http" in chat.text
    empty = client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "x"}]})
    assert (empty.status_code, empty.json()) == (400, {"error": "Prompt message is required"})


# --- knobs ------------------------------------------------------------------------------------------------


def test_auth_in_both_dialects(suno: Env) -> None:
    _, _, url = suno
    with httpx.Client(base_url=url) as anonymous:
        assert refused(anonymous.post("/suno/submit/lyrics", json={"prompt": "x"}), 401) == "unauthorized secret token"
        wrong = anonymous.get("/api/get_limit", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "Bearer" in wrong.json()["error"]
        assert anonymous.get("/api/get_limit", headers={"Cookie": f"a=b; __client={KEY}"}).status_code == 200
        assert anonymous.post("/suno/fetch", json={"ids": []}, headers={"Authorization": KEY}).status_code == 200


def test_queue_full_fail_next_and_credits(suno: Env) -> None:
    fake, client, _ = suno
    fake.knobs.queue_full = True
    assert (
        refused(client.post("/suno/submit/music", json=SONG), 429, "fail_to_fetch_task")
        == "当前分组上游负载已饱和，请稍后再试"
    )
    full = client.post("/api/generate", json={"prompt": "x"})
    assert full.status_code == 429 and full.json()["error"].startswith("API Error: Too many running jobs")
    fake.knobs.queue_full = False
    fake.knobs.fail_next = 2
    refused(client.post("/suno/submit/lyrics", json={"prompt": "x"}), 500, "do_request_failed")
    failed = client.post("/api/custom_generate", json={"prompt": "x", "tags": "", "title": ""})
    assert failed.status_code == 500 and not failed.json()["error"].startswith("API Error")  # custom_generate's shape
    ok(client.post("/suno/submit/lyrics", json={"prompt": "x"}))
    fake.knobs.credits = 5
    refused(client.post("/suno/submit/music", json=SONG), 403, "quota_not_enough")
    broke = client.post("/api/generate", json={"prompt": "x"})
    assert broke.status_code == 402 and broke.json()["error"].startswith("Insufficient credits")
    assert ok(client.post("/suno/submit/lyrics", json={"prompt": "free"}))  # lyrics cost nothing


def test_failing_tasks_end_in_failure_with_the_reason(suno: Env) -> None:
    fake, client, _ = suno
    fake.knobs.fail_tasks, fake.knobs.fail_reason = 1, "Sorry, the model is down."
    failed = music(client, SONG)
    assert (failed["status"], failed["progress"], failed["fail_reason"]) == (
        "FAILURE",
        "100%",
        "Sorry, the model is down.",
    )
    assert failed["finish_time"] > 0
    assert all(
        c["status"] == "error" and c["metadata"]["error_message"] == failed["fail_reason"] for c in failed["data"]
    )
    assert all(c["audio_url"] == "" and c["metadata"]["refund_credits"] for c in failed["data"])
    assert music(client, SONG)["status"] == "SUCCESS"
    fake.knobs.fail_prompts_containing = ["forbidden"]
    made = client.post("/api/custom_generate", json={"prompt": "a forbidden song", "tags": "", "title": "t"}).json()
    infos = wait_clips(client, [info["id"] for info in made])
    assert {info["status"] for info in infos} == {"error"} and "forbidden" in infos[0]["error_message"]
    fake.knobs.fail_prompts_containing, fake.knobs.fail_tasks, fake.knobs.fail_at_step = [], 1, 1
    early = music(client, SONG)
    assert (early["status"], early["start_time"]) == ("FAILURE", 0)  # failed before it ever ran
    assert {clip["status"] for clip in early["data"]} == {"error"}


def test_latency_dialect_and_recording(suno: Env) -> None:
    fake, client, _ = suno
    fake.knobs.latency_s = 0.2
    started = time.monotonic()
    client.get("/api/get_limit")
    assert time.monotonic() - started >= 0.2
    fake.knobs.latency_s = 0
    fake.knobs.dialect = "newapi"
    assert client.get("/api/get_limit").status_code == 404
    assert client.post("/suno/fetch", json={"ids": []}).status_code == 200
    fake.knobs.dialect = "gcui"
    assert client.post("/suno/fetch", json={"ids": []}).status_code == 404
    assert client.get("/api/get_limit").status_code == 200
    recorded = [(r.method, r.path, r.json) for r in fake.requests]
    assert ("POST", "/suno/fetch", {"ids": []}) in recorded and recorded[-1] == ("GET", "/api/get_limit", None)
    assert fake.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_cli_serves_the_fake_with_its_options() -> None:
    port = free_port()
    command = [sys.executable, "-m", "omnirelay", "fake-upstream", "suno", "--port", str(port), "--api-key", KEY]
    flags = ["--dialect", "gcui", "--step-ms", "10", "--clip-seconds", "2"]
    process = subprocess.Popen([*command, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/api/get_limit")
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30) as client:
            made = client.post("/api/generate", json={"prompt": "tiny"}).json()
            assert wait_clips(client, [made[0]["id"]])[0]["duration"] == 2.0
            assert client.post("/suno/fetch", json={"ids": []}).status_code == 404  # --dialect gcui
        assert httpx.get(url + "/api/get_limit").status_code == 401
    finally:
        process.terminate()
        process.wait(10)
