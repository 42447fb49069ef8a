"""Pure Ark pieces: image calls and Seedance tasks as Ark's requests, Ark's answers as neutral results and
task states, its errors in the one tree (JSON fixtures); the create checks; the common video job's mapping."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from omnirelay import errors
from omnirelay.errors import InvalidRequest, UpstreamError
from omnirelay.families.ark.image_checks import image_kind, parse_image_create
from omnirelay.families.ark.video_checks import parse_video_create
from omnirelay.providers.ark.errors import error_for
from omnirelay.providers.ark.image_transforms import image_request, images_answer
from omnirelay.providers.ark.video_jobs import video_job_body
from omnirelay.providers.ark.video_transforms import (
    accepted_id,
    fingerprint,
    parse_upstream_id,
    state_from,
    submit_request,
    upstream_id,
)
from omnirelay.providers.video import VideoJob

FIXTURES = Path(__file__).parent / "fixtures" / "ark"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


IMAGES = fixture("images.json")
TASKS = fixture("tasks.json")
ERRORS = fixture("errors.json")["cases"]


def test_an_image_call_goes_as_sent_with_the_channels_model_and_no_stream() -> None:
    case = IMAGES["request"]
    request = image_request(case["body"], case["upstream_model"])
    assert {"method": request.method, "path": request.path, "body": request.body} == case["sent"]


@pytest.mark.parametrize("case", IMAGES["answers"], ids=lambda c: c["name"])
def test_image_answers_are_read_into_entries_and_usage(case: dict[str, Any]) -> None:
    answer = images_answer(case["answer"])
    shown = [
        {"url": e.url, "b64": base64.b64encode(e.data).decode() if e.data else None, "size": e.size}
        for e in answer.entries
    ]
    assert shown == case["entries"] and answer.usage == case["usage"]


@pytest.mark.parametrize("answer", [None, {"data": []}, {"data": [{"url": "ftp://x"}]}, {"data": [{"b64_json": "@"}]}])
def test_answers_without_an_image_are_upstream_errors(answer: Any) -> None:
    with pytest.raises(UpstreamError):
        images_answer(answer)


def test_a_task_create_goes_without_the_callback_and_its_id_carries_the_keys_fingerprint() -> None:
    case = TASKS["submit"]
    request = submit_request(case["body"], case["upstream_model"])
    assert {"method": request.method, "path": request.path, "body": request.body} == case["sent"]
    task_id = accepted_id(TASKS["created"])
    value = upstream_id(task_id, "ark-key")
    assert "ark-key" not in value and parse_upstream_id(value) == (task_id, fingerprint("ark-key"))
    assert parse_upstream_id("cgt-legacy") == ("cgt-legacy", "")
    with pytest.raises(UpstreamError):
        accepted_id({"id": ""})


@pytest.mark.parametrize("case", TASKS["states"], ids=lambda c: c["name"])
def test_task_objects_become_neutral_states(case: dict[str, Any]) -> None:
    state = state_from(case["answer"])
    assert state is not None
    shown = {
        "status": state.status,
        "progress": state.progress,
        "fail_reason": state.fail_reason,
        "finish_time": state.finish_time,
        "result": state.result,
    }
    assert shown == case["state"]


@pytest.mark.parametrize("answer", TASKS["unreadable"])
def test_unreadable_task_objects_say_nothing(answer: Any) -> None:
    assert state_from(answer) is None


@pytest.mark.parametrize("case", ERRORS, ids=lambda c: f"{c['status']}-{c['error']}")
def test_error_answers_map_to_the_one_tree(case: dict[str, Any]) -> None:
    body = case["body"]
    raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    error = error_for(case["status"], raw, "ark-1")
    assert type(error) is getattr(errors, case["error"]) and error.retryable is case["retryable"]
    if "code" in case:
        assert (error.code, error.status_code, error.param) == (case["code"], case["status"], case["param"])


def test_image_kinds_follow_the_model_name() -> None:
    models = ("doubao-seededit-3-0-i2i-250628", "doubao-seedream-4-0-250828", "doubao-seedream-3-0-t2i-250415", "x")
    assert [image_kind(m) for m in models] == ["seededit", "seedream4", "t2i", "t2i"]


def test_image_price_names_and_held_images() -> None:
    create = parse_image_create({"model": "doubao-seedream-4-0-250828", "prompt": "x", "size": "2048x1024"})
    assert create.price_names == ["doubao-seedream-4-0-250828:2048x1024", "doubao-seedream-4-0-250828"]
    assert create.calls == 1 and create.response_format == "url"
    sequence = {"model": "doubao-seedream-4-0-250828", "prompt": "x", "sequential_image_generation": "auto"}
    assert parse_image_create(sequence).calls == 15
    with pytest.raises(InvalidRequest):
        parse_image_create({**sequence, "model": "doubao-seedream-3-0-t2i-250415"})


def test_video_creates_price_by_resolution_and_duration_from_fields_or_commands() -> None:
    body = {"model": "m-1-0-pro", "content": [{"type": "text", "text": "x --rs 480p --dur 8"}]}
    create = parse_video_create(body)
    assert (create.resolution, create.duration) == ("480p", 8)
    assert create.price_names == ["m-1-0-pro:480p:8", "m-1-0-pro:480p", "m-1-0-pro"]
    create = parse_video_create({**body, "content": [{"type": "text", "text": "x"}], "duration": "10"})
    assert (create.resolution, create.duration) == ("1080p", 10)
    lite = parse_video_create(
        {"model": "lite", "content": [{"type": "image_url", "image_url": {"url": "https://a/b.png"}}]}
    )
    assert (lite.resolution, lite.duration, lite.callback_url) == ("720p", 5, None)


def test_a_common_video_job_becomes_a_seedance_create() -> None:
    job = VideoJob(model="seedance", prompt="a cat", seconds=10, size="1280x720", image="https://a/b.png",
                   extra={"seed": 4})  # fmt: skip
    assert video_job_body(job) == {
        "seed": 4,
        "model": "seedance",
        "content": [
            {"type": "text", "text": "a cat"},
            {"type": "image_url", "image_url": {"url": "https://a/b.png"}, "role": "first_frame"},
        ],
        "duration": 10,
        "resolution": "720p",
        "ratio": "16:9",
    }
    assert video_job_body(VideoJob(model="s", prompt="p", size="1080x1920"))["ratio"] == "9:16"
    assert "resolution" not in video_job_body(VideoJob(model="s", prompt="p", size="big"))
