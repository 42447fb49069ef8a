"""Helpers for tests that drive the fake Suno upstream (omnirelay.testing.FakeSuno) over HTTP."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

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


@contextmanager
def serve_suno(**knobs: Any) -> Iterator[Env]:
    """A fake Suno (by default a fast walk and the key ``KEY``) on loopback, and a client that sends ``KEY``."""
    fake = FakeSuno(FakeSunoKnobs(**{"step_s": 0.01, "api_key": KEY, **knobs}))
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


def wait_midi(client: httpx.Client, clip_id: str) -> Any:
    deadline = time.monotonic() + 5
    while (midi := client.get(f"/suno/act/midi/{clip_id}").json())["state"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    return midi
