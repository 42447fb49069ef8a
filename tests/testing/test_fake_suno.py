"""The fake Suno upstream speaks both dialects (new-api's /suno/* task wrapper and gcui-art's /api/*),
serves real media files, and its knobs do what they say."""

from __future__ import annotations

import io
import time
import uuid
import wave
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing import FakeSuno, FakeSunoKnobs, serve_in_thread

KEY = "sk-suno"
TASK_KEYS = {
    "task_id", "action", "status", "fail_reason", "submit_time", "start_time", "finish_time", "progress", "data",
}  # fmt: skip
CLIP_KEYS = {
    "id", "audio_url", "video_url", "image_url", "image_large_url", "is_video_pending", "major_model_version",
    "model_name", "metadata", "created_at", "status", "title", "user_id", "display_name", "handle", "is_public",
}  # fmt: skip
INFO_KEYS = {
    "id", "title", "image_url", "lyric", "audio_url", "video_url", "created_at", "model_name", "status",
    "gpt_description_prompt", "prompt", "type", "tags", "duration",
}  # fmt: skip
SONG = {
    "prompt": "[Verse]\nneon rain on empty streets\n[Chorus]\nwe run",
    "mv": "chirp-v4",
    "title": "Work",
    "tags": "edm",
}

Env = tuple[FakeSuno, httpx.Client, str]


@pytest.fixture
def suno() -> Iterator[Env]:
    fake = FakeSuno(FakeSunoKnobs(step_s=0.01, api_key=KEY))
    with (
        serve_in_thread(fake.app) as url,
        httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {KEY}"}) as client,
    ):
        yield fake, client, url


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["code"], body["message"]) == ("success", ""), body
    return body["data"]


def refused(response: httpx.Response, status: int, code: str = "invalid_request") -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["code"], body["data"]) == (code, None), body
    return str(body["message"])


def wait_task(client: httpx.Client, task_id: str) -> Any:
    deadline = time.monotonic() + 15
    while True:
        task = ok(client.get(f"/suno/fetch/{task_id}"))
        if task["status"] in ("SUCCESS", "FAILURE"):
            return task
        assert time.monotonic() < deadline, task
        time.sleep(0.005)


def music(client: httpx.Client, body: dict[str, Any]) -> Any:
    return wait_task(client, ok(client.post("/suno/submit/music", json=body)))


def song(client: httpx.Client, body: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """A finished task's id and its first clip."""
    task = music(client, body or SONG)
    assert task["status"] == "SUCCESS", task
    return task["task_id"], task["data"][0]


def wait_clips(client: httpx.Client, ids: list[str]) -> list[Any]:
    deadline = time.monotonic() + 15
    while True:
        infos = client.get("/api/get", params={"ids": ",".join(ids)}).json()
        if all(info["status"] in ("complete", "error") for info in infos):
            return list(infos)
        assert time.monotonic() < deadline, infos
        time.sleep(0.005)


def wav_seconds(content: bytes) -> float:
    with wave.open(io.BytesIO(content)) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.fixture
def hook() -> Iterator[tuple[str, list[Any]]]:
    received: list[Any] = []

    async def receive(request: Request) -> Response:
        received.append(await request.json())
        return Response(status_code=204)

    with serve_in_thread(Starlette(routes=[Route("/hook", receive, methods=["POST"])])) as url:
        yield url + "/hook", received


# --- newapi dialect: tasks -------------------------------------------------------------------------------


def test_music_task_walks_every_status_with_two_clips_and_notifies_each_change(
    suno: Env, hook: tuple[str, list[Any]]
) -> None:
    _, client, url = suno
    hook_url, received = hook
    task_id = ok(client.post("/suno/submit/music", json={**SONG, "notify_hook": hook_url}))
    assert uuid.UUID(task_id)
    done = wait_task(client, task_id)
    assert TASK_KEYS == done.keys()
    assert (done["action"], done["status"], done["progress"], done["fail_reason"]) == ("MUSIC", "SUCCESS", "100%", "")
    assert done["finish_time"] >= done["start_time"] >= done["submit_time"] > 1_600_000_000
    assert len(done["data"]) == 2 and len({clip["id"] for clip in done["data"]}) == 2
    for clip in done["data"]:
        assert CLIP_KEYS <= clip.keys() and uuid.UUID(clip["id"])
        assert (clip["status"], clip["title"], clip["model_name"], clip["major_model_version"]) == (
            "complete", "Work", "chirp-v4", "v4",
        )  # fmt: skip
        assert clip["metadata"]["prompt"] == SONG["prompt"] and clip["metadata"]["duration"] == 4.0
        assert clip["audio_url"] == f"{url}/media/{clip['id']}.mp3" and clip["video_url"].endswith(".mp4")
    deadline = time.monotonic() + 5
    while received[-1:] != [done] and time.monotonic() < deadline:
        time.sleep(0.01)
    walk = [(t["status"], tuple(c["status"] for c in t["data"])) for t in received]
    assert walk == [
        ("SUBMITTED", ("submitted", "submitted")),
        ("QUEUED", ("queued", "queued")),
        ("IN_PROGRESS", ("streaming", "streaming")),
        ("IN_PROGRESS", ("streaming", "streaming")),
        ("IN_PROGRESS", ("complete", "streaming")),
        ("SUCCESS", ("complete", "complete")),
    ]
    assert [t["progress"] for t in received] == ["0%", "0%", "40%", "60%", "80%", "100%"]
    assert received[-1] == done


def test_streaming_clips_have_a_stream_link_and_no_duration_until_complete(suno: Env) -> None:
    fake, client, _ = suno
    fake.knobs.hold = True
    task_id = ok(client.post("/suno/submit/music", json=SONG))
    deadline = time.monotonic() + 5
    while (task := ok(client.get(f"/suno/fetch/{task_id}")))["data"][0]["status"] != "streaming":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    clip = task["data"][0]
    assert task["status"] == "IN_PROGRESS" and task["start_time"] > 0 and task["finish_time"] == 0
    assert "/media/stream/" in clip["audio_url"] and clip["video_url"] == "" and clip["is_video_pending"]
    assert clip["metadata"]["duration"] is None and clip["image_url"].endswith(".png")
    assert httpx.get(clip["audio_url"]).status_code == 200
    assert httpx.get(clip["audio_url"].replace("/stream/", "/")).status_code == 404  # not final yet
    time.sleep(0.1)
    assert ok(client.get(f"/suno/fetch/{task_id}"))["status"] == "IN_PROGRESS"  # held
    fake.release()
    assert wait_task(client, task_id)["status"] == "SUCCESS"


def test_served_media_are_real_files(suno: Env) -> None:
    av = pytest.importorskip("av")
    _, client, _ = suno
    _, clip = song(client)
    mp3 = httpx.get(clip["audio_url"])
    assert mp3.headers["content-type"] == "audio/mpeg"
    with av.open(io.BytesIO(mp3.content)) as container:
        assert container.streams.audio[0].codec_context.name.startswith("mp3")
        assert abs(container.duration / 1_000_000 - 4.0) < 0.2
        assert sum(frame.samples for frame in container.decode(audio=0)) > 3 * 24_000
    mp4 = httpx.get(clip["video_url"])
    assert mp4.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(mp4.content)) as container:
        assert {stream.type for stream in container.streams} == {"video", "audio"}
        assert container.streams.video[0].codec_context.name == "h264"
        assert sum(1 for _ in container.decode(video=0)) >= 30
    wav_url = ok(client.get(f"/suno/act/wav/{clip['id']}"))["wav_file_url"]
    assert wav_seconds(httpx.get(wav_url).content) == pytest.approx(4.0)
    assert Image.open(io.BytesIO(httpx.get(clip["image_url"]).content)).size == (256, 256)
    assert Image.open(io.BytesIO(httpx.get(clip["image_large_url"]).content)).size == (512, 512)
    assert httpx.get(clip["audio_url"].replace(clip["id"], str(uuid.uuid4()))).status_code == 404


def test_inspiration_and_instrumental_modes(suno: Env) -> None:
    fake, client, _ = suno
    fake.knobs.hold = True
    task_id = ok(client.post("/suno/submit/music", json={"gpt_description_prompt": "nostalgia", "mv": "chirp-v4"}))
    first = fake.tasks[task_id]["data"][0]
    assert (first["title"], first["metadata"]["prompt"]) == ("", "")
    assert first["metadata"]["gpt_description_prompt"] == "nostalgia"
    fake.release()
    clip = wait_task(client, task_id)["data"][0]
    assert clip["title"] == "Nostalgia" and "[Verse]" in clip["metadata"]["prompt"]
    fake.knobs.hold = False
    instrumental = {
        "prompt": "",
        "tags": "heavy metal",
        "mv": "chirp-v4",
        "title": "Beijing",
        "make_instrumental": True,
    }
    _, plain = song(client, instrumental)
    assert plain["metadata"]["make_instrumental"] is True and plain["metadata"]["prompt"] == ""
    assert client.get(f"/suno/act/timing/{plain['id']}").json()["aligned_words"] == []
    _, described = song(client, {"gpt_description_prompt": "dance pop", "prompt": "", "make_instrumental": True})
    assert described["title"] == "Dance Pop" and described["metadata"]["prompt"] == ""
    assert described["model_name"] == "chirp-v3-0"  # new-api's default mv
    refused(client.post("/suno/submit/music", json={"mv": "chirp-v4"}), 400)


def test_lyrics_task_succeeds_at_once(suno: Env, hook: tuple[str, list[Any]]) -> None:
    _, client, _ = suno
    hook_url, received = hook
    task_id = ok(client.post("/suno/submit/lyrics", json={"prompt": "a song about summer", "notify_hook": hook_url}))
    task = ok(client.get(f"/suno/fetch/{task_id}"))
    assert (task["action"], task["status"], task["progress"]) == ("LYRICS", "SUCCESS", "100%")
    assert task["data"]["id"] == task_id and task["data"]["status"] == "complete"
    assert task["data"]["title"] == "A Song About Summer" and "[Chorus]" in task["data"]["text"]
    deadline = time.monotonic() + 5
    while not received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert received == [task]
    assert refused(client.post("/suno/submit/lyrics", json={"prompt": ""}), 400) == "prompt_empty"
    assert refused(client.post("/suno/submit/video", json={}), 400) == "invalid_action"


def test_fetch_one_and_many(suno: Env) -> None:
    _, client, _ = suno
    first = ok(client.post("/suno/submit/lyrics", json={"prompt": "one"}))
    second = ok(client.post("/suno/submit/lyrics", json={"prompt": "two"}))
    many = ok(client.post("/suno/fetch", json={"ids": [second, "nope", first, second], "action": "LYRICS"}))
    assert [task["task_id"] for task in many] == [second, first]
    assert ok(client.post("/suno/fetch", json={"ids": []})) == []
    assert refused(client.get("/suno/fetch/nope"), 400, "task_not_exist") == "task_not_exist"


def test_extend_needs_its_task_and_concat_plays_the_whole_chain(suno: Env) -> None:
    _, client, _ = suno
    task_id, clip = song(client)
    extend = {
        "task": "extend",
        "continue_clip_id": clip["id"],
        "continue_at": 2.5,
        "prompt": "[Verse 3]",
        "mv": "chirp-v4",
    }
    assert refused(client.post("/suno/submit/music", json=extend), 400) == "task id is empty"
    message = refused(client.post("/suno/submit/music", json={**extend, "task_id": "nope"}), 400, "task_not_exist")
    assert message == "task_origin_not_exist"
    missing = {**extend, "task_id": task_id, "continue_clip_id": str(uuid.uuid4())}
    assert "continue_clip_id" in refused(client.post("/suno/submit/music", json=missing), 400)
    extended = music(client, {**extend, "task_id": task_id})["data"][0]
    history = extended["metadata"]["history"]
    assert [(h["id"], h["continue_at"]) for h in history] == [(clip["id"], 2.5)]
    whole = wait_task(
        client, ok(client.post("/suno/submit/concat", json={"clip_id": extended["id"], "is_infill": False}))
    )
    assert len(whole["data"]) == 1
    full = whole["data"][0]
    assert full["metadata"]["type"] == "concat" and full["metadata"]["duration"] == 6.5
    assert [h["id"] for h in full["metadata"]["concat_history"]] == [clip["id"], extended["id"]]
    wav_url = ok(client.get(f"/suno/act/wav/{full['id']}"))["wav_file_url"]
    assert wav_seconds(httpx.get(wav_url).content) == pytest.approx(6.5)
    assert "is_infill" in refused(
        client.post("/suno/submit/concat", json={"clip_id": full["id"], "is_infill": True}), 400
    )


def test_cover_and_replace_section_then_concat_with_is_infill(suno: Env) -> None:
    _, client, _ = suno
    _, clip = song(client)
    cover = {
        "task": "cover",
        "cover_clip_id": clip["id"],
        "generation_type": "TEXT",
        "prompt": "la",
        "mv": "chirp-v4-tau",
    }
    covered = music(client, cover)["data"][0]
    assert covered["metadata"]["cover_clip_id"] == clip["id"] and covered["metadata"]["task"] == "cover"
    assert covered["major_model_version"] == "v4"
    infill = {
        "task": "infill",
        "continue_clip_id": clip["id"],
        "infill_start_s": 1.0,
        "infill_end_s": 2.5,
        "prompt": "x",
    }
    section = music(client, infill)["data"][0]
    assert section["metadata"]["infill"] is True and section["metadata"]["duration"] == 1.5
    stitched = wait_task(
        client, ok(client.post("/suno/submit/concat", json={"clip_id": section["id"], "is_infill": True}))
    )
    assert stitched["data"][0]["metadata"]["duration"] == 4.0  # 1.0 of the original, 1.5 new, the original from 2.5
    bad = {**infill, "infill_start_s": 3, "infill_end_s": 2}
    assert "infill_start_s" in refused(client.post("/suno/submit/music", json=bad), 400)
    assert "cover_clip_id" in refused(client.post("/suno/submit/music", json={"task": "cover"}), 400)
    assert "invalid task" in refused(client.post("/suno/submit/music", json={"task": "remix"}), 400)


def test_persona_then_artist_consistency(suno: Env) -> None:
    _, client, _ = suno
    _, clip = song(client)
    body = {"root_clip_id": clip["id"], "name": "Nova", "description": "airy", "clips": [clip["id"]], "is_public": True}
    persona = client.post("/suno/persona/create/", json=body).json()
    assert (persona["name"], persona["root_clip_id"], persona["is_public"], persona["clip_count"]) == (
        "Nova", clip["id"], True, 1,
    )  # fmt: skip
    assert uuid.UUID(persona["id"]) and persona["persona_clips"][0]["clip"]["id"] == clip["id"]
    sung = {"task": "artist_consistency", "persona_id": persona["id"], "artist_clip_id": clip["id"], "prompt": "hi"}
    made = music(client, sung)["data"][0]
    assert (made["metadata"]["persona_id"], made["metadata"]["artist_clip_id"]) == (persona["id"], clip["id"])
    assert "persona_id" in refused(client.post("/suno/submit/music", json={**sung, "persona_id": "nope"}), 400)
    missing_name = client.post("/suno/persona/create/", json={"root_clip_id": clip["id"]})
    assert missing_name.status_code == 400 and "name" in missing_name.json()["detail"]
    paged = client.get("/api/persona", params={"id": persona["id"]}).json()
    assert paged["persona"]["id"] == persona["id"] and (paged["total_results"], paged["current_page"]) == (1, 1)
    assert paged["is_following"] is False


def test_stems_split_the_song_into_vocals_and_instrumental(suno: Env) -> None:
    _, client, _ = suno
    task_id, clip = song(client)
    body = {
        "task": "gen_stem", "generation_type": "TEXT", "title": "Work", "mv": "chirp-auk", "prompt": "",
        "make_instrumental": True, "task_id": task_id, "continue_clip_id": clip["id"],
        "continued_aligned_prompt": None, "continue_at": None, "stem_type_id": 91, "stem_type_group_name": "Two",
        "stem_task": "two",
    }  # fmt: skip
    vocals, backing = music(client, body)["data"]
    assert (vocals["title"], backing["title"]) == ("Work (Vocals)", "Work (Instrumental)")
    assert vocals["metadata"]["stem_from_id"] == clip["id"] and vocals["metadata"]["stem_type_id"] == 91
    assert vocals["metadata"]["duration"] == backing["metadata"]["duration"] == 4.0
    midi = wait_midi(client, backing["id"])
    assert [instrument["name"] for instrument in midi["instruments"]] == ["Bass"]
    stems = client.post("/api/generate_stems", json={"audio_id": clip["id"]}).json()
    assert [stem["stem_from_id"] for stem in stems] == [clip["id"], clip["id"]]
    assert set(stems[0]) == {"id", "status", "created_at", "title", "stem_from_id", "duration"}
    assert all(info["status"] == "complete" for info in wait_clips(client, [stem["id"] for stem in stems]))


def wait_midi(client: httpx.Client, clip_id: str) -> Any:
    deadline = time.monotonic() + 5
    while (midi := client.get(f"/suno/act/midi/{clip_id}").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    return midi


def test_act_timing_midi_tags_and_url_shapes(suno: Env) -> None:
    fake, client, _ = suno
    _, clip = song(client)
    timing = client.get(f"/suno/act/timing/{clip['id']}").json()
    assert set(timing) == {"aligned_words", "waveform_data", "hoot_cer", "is_streamed"}
    words = timing["aligned_words"]
    assert [w["word"] for w in words] == "neon rain on empty streets we run".split()
    assert set(words[0]) == {"word", "start_s", "end_s", "success", "p_align"} and words[-1]["end_s"] == 4.0
    assert len(timing["waveform_data"]) == 100 and max(timing["waveform_data"]) == 1.0
    assert client.get(f"/suno/act/midi/{clip['id']}").json() == {"state": "running"}
    midi = wait_midi(client, clip["id"])
    assert [i["name"] for i in midi["instruments"]] == ["Vocals", "Bass"]
    assert set(midi["instruments"][0]["notes"][0]) == {"pitch", "start", "end", "velocity"}
    tags = client.post("/suno/act/tags", json={"original_tags": "synthwave"}).json()
    assert tags["upsampled_tags"].startswith("synthwave, ") and uuid.UUID(tags["request_id"])
    assert client.post("/suno/act/tags", json={}).status_code == 400
    assert ok(client.get(f"/suno/act/mp4/{clip['id']}")) == {"mp4_file_url": clip["video_url"]}
    fake.knobs.act_url_shape = "string"
    assert ok(client.get(f"/suno/act/mp4/{clip['id']}")) == clip["video_url"]
    assert client.get(f"/suno/act/timing/{uuid.uuid4()}").status_code == 404


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
    assert early["status"] == "FAILURE" and early["start_time"] > 0


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
