"""MiniMax's wire as pure transforms (JSON fixtures): creates, the query's states, base_resp errors;
and how a common video job becomes a Kling create."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from omnirelay.errors import UpstreamAuthFailed, UpstreamError, UpstreamRejected
from omnirelay.providers.kling.transforms import video_submit
from omnirelay.providers.minimax.transforms import (
    accepted_task_id,
    checked,
    create_request,
    download_url,
    parse_upstream_id,
    resolution_for,
    state_from,
    upstream_id,
    with_video,
)
from omnirelay.providers.video import VideoJob
from omnirelay.tasks.model import Status

FIXTURES = Path(__file__).parent / "fixtures" / "minimax"


def raw(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture(name: str) -> Any:
    return orjson.loads(raw(name))


def test_a_common_job_becomes_minimax_fields_and_vendor_fields_pass_through() -> None:
    job = VideoJob("MiniMax-Hailuo-02", "a fox", seconds=8, size="1280x720", image="https://x.example/f.png",
                   extra={"prompt_optimizer": False, "callback_url": "https://leak.example"})  # fmt: skip
    request = create_request(job)
    assert (request.method, request.path) == ("POST", "/v1/video_generation")
    assert request.body == {"model": "MiniMax-Hailuo-02", "prompt": "a fox", "duration": 10, "resolution": "768P",
                            "first_frame_image": "https://x.example/f.png", "prompt_optimizer": False}  # fmt: skip
    assert create_request(VideoJob("T2V-01", "x", seconds=4)).body == {"model": "T2V-01", "prompt": "x", "duration": 6}
    assert [resolution_for("T2V-01", "720x1280"), resolution_for("MiniMax-Hailuo-2.3", "1920x1080")] == [
        "720P",
        "1080P",
    ]


def test_create_answers_and_base_resp_errors() -> None:
    assert accepted_task_id(checked(raw("create_ok"), "mm")) == "106916112212032"
    with pytest.raises(UpstreamRejected) as refused:
        checked(raw("create_sensitive"), "mm")
    assert (refused.value.code, refused.value.status_code, refused.value.retryable) == ("minimax_1026", 400, False)
    with pytest.raises(UpstreamError) as broke:
        checked(raw("create_balance"), "mm")
    assert broke.value.retryable and not isinstance(broke.value, UpstreamRejected)
    with pytest.raises(UpstreamAuthFailed):
        checked(raw("create_auth"), "mm")
    with pytest.raises(UpstreamError):
        checked(b"<html>", "mm")


def test_query_states_map_onto_the_engine() -> None:
    queued, _ = state_from(fixture("query_queueing"))
    running, _ = state_from(fixture("query_processing"))
    assert queued is not None and running is not None
    assert (queued.status, running.status, running.progress) == (Status.SUBMITTED, Status.IN_PROGRESS, 50)
    failed, none = state_from(fixture("query_fail"))
    assert failed is not None and none is None
    assert (failed.status, failed.fail_reason) == (Status.FAILURE, "output video sensitive")
    succeeded, file_id = state_from(fixture("query_success"))
    assert succeeded is not None and file_id == "205258526306433"
    url = download_url(fixture("file_retrieve"))
    done = with_video(succeeded, url, file_id)
    assert done.result == {"videos": [{"width": 1366, "height": 768, "url": url}], "upstream_file_id": file_id}
    assert state_from({"status": "Unknown"}) == (None, None)


def test_upstream_ids_name_the_key_that_made_the_task() -> None:
    value = upstream_id("106916112212032", "mm-secret")
    assert parse_upstream_id(value) == ("106916112212032", value.partition(":")[2]) and "mm-secret" not in value


def test_a_common_job_becomes_a_kling_create() -> None:
    text = video_submit(VideoJob("kling-v1", "clouds", seconds=8, size="1280x720"))
    assert (text.kind, dict(text.body)) == ("text2video", {"model_name": "kling-v1", "prompt": "clouds",
                                                          "duration": "10", "aspect_ratio": "16:9"})  # fmt: skip
    image = video_submit(VideoJob("kling-v1", "", image="data:image/png;base64,iVBORw0K"))
    assert (image.kind, image.body["image"], "prompt" in image.body) == ("image2video", "iVBORw0K", False)
