"""The fake Suno upstream's newapi dialect (new-api's /suno/* task wrapper): every submit scenario walks its clips
to real media files, and the task and clip JSON have the wire's shape."""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from omnirelay.testing import serve_in_thread
from suno_support import (
    CLIP_KEYS,
    SONG,
    TASK_KEYS,
    Env,
    music,
    ok,
    refused,
    serve_suno,
    song,
    wait_clips,
    wait_midi,
    wait_task,
    wav_seconds,
)


@pytest.fixture
def suno() -> Iterator[Env]:
    with serve_suno() as env:
        yield env


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


def test_served_audio_and_video_decode(suno: Env) -> None:
    import av  # installed by ./scripts/check (the speech extra): a missing one fails, never skips

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


def test_served_wav_png_and_byte_ranges(suno: Env) -> None:
    _, client, _ = suno
    _, clip = song(client)
    wav_url = ok(client.get(f"/suno/act/wav/{clip['id']}"))["wav_file_url"]
    wav = httpx.get(wav_url)
    assert wav.headers["content-type"] == "audio/wav" and wav_seconds(wav.content) == pytest.approx(4.0)
    part = httpx.get(wav_url, headers={"Range": "bytes=10-99"})
    assert (part.status_code, part.content) == (206, wav.content[10:100])
    assert part.headers["content-range"] == f"bytes 10-99/{len(wav.content)}"
    assert httpx.get(wav_url, headers={"Range": "bytes=-4"}).content == wav.content[-4:]
    assert httpx.get(wav_url, headers={"Range": f"bytes={len(wav.content)}-"}).status_code == 416
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
