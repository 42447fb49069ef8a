"""Pure transforms of an ``openai`` channel's ``/videos`` (another gateway's): creates, upstream ids, states."""

from __future__ import annotations

from omnirelay.providers.openai_compat.videos_transform import (
    create_body,
    fingerprint,
    parse_upstream_id,
    state_from,
    upstream_id,
    video_id,
)
from omnirelay.providers.video import VideoJob
from omnirelay.tasks.model import Status

BASE = "https://other.example/v1"


def test_a_create_carries_the_common_fields_and_the_vendor_ones_as_metadata() -> None:
    job = VideoJob("hailuo", "a boat", 10, "1280x720", "https://img.example/a.png", {"prompt_optimizer": False})
    assert create_body(job) == {"model": "hailuo", "prompt": "a boat", "seconds": "10", "size": "1280x720",
                                "input_reference": {"image_url": "https://img.example/a.png"},
                                "metadata": {"prompt_optimizer": False}}  # fmt: skip
    assert create_body(VideoJob("m", "p")) == {"model": "m", "prompt": "p"}


def test_upstream_ids_name_the_key_and_refuse_what_is_not_a_video_id() -> None:
    value = upstream_id("video_abc", "sk-1")
    assert value == f"video_abc:{fingerprint('sk-1')}" and parse_upstream_id(value) == (
        "video_abc",
        fingerprint("sk-1"),
    )
    assert parse_upstream_id("") is None and parse_upstream_id("../admin:x") is None
    assert video_id({"id": "video_1", "object": "video"}) == "video_1"
    assert video_id({"id": "a/b"}) is None and video_id(["video_1"]) is None


def test_states_follow_the_video_object_and_a_completed_one_links_its_content() -> None:
    assert state_from({"status": "queued"}, BASE, "v") is not None
    running = state_from({"status": "in_progress", "progress": 35}, BASE, "v")
    assert running is not None and (running.status, running.progress) == (Status.IN_PROGRESS, 35)
    done = state_from({"status": "completed", "seconds": "8", "size": "1280x720"}, BASE, "video_1")
    assert done is not None and done.status == Status.SUCCESS
    assert done.result == {"videos": [{"url": f"{BASE}/videos/video_1/content", "duration": 8, "width": 1280,
                                       "height": 720}]}  # fmt: skip
    failed = state_from({"status": "failed", "error": {"code": "x", "message": "moderated"}}, BASE, "v")
    assert failed is not None and (failed.status, failed.fail_reason) == (Status.FAILURE, "moderated")
    assert state_from({"status": "weird"}, BASE, "v") is None and state_from(None, BASE, "v") is None
