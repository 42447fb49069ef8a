"""Seedance tasks in the unified video query (``/v1/video/generations``): listed from submit on, linked once done."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import httpx

from ark_support import OTHER_KEY, PRO, TASKS, ark_channel, client, ok, serve_ark, start, video_body, wait_task
from conftest import Gateway
from mj_support import wait_for


def test_seedance_tasks_are_in_the_unified_video_list_and_object_with_gateway_links(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_ark(stack, hold=True)
    gateway = start(make_gateway, [ark_channel("ark", url)])
    api = client(stack, gateway)
    queued = ok(api.post(TASKS, json=video_body(resolution="720p", duration=5)))["id"]
    listed = ok(api.get("/v1/video/generations"))  # before any result: a video all the same
    assert [v["id"] for v in listed["data"]] == [queued] and listed["data"][0]["family"] == "ark"
    assert listed["data"][0]["status"] == "queued" and listed["data"][0]["video_url"] is None
    assert ok(api.get(f"/v1/video/generations/{queued}"))["seconds"] == "5"

    fake.knobs.hold = False
    done_id = ok(api.post(TASKS, json=video_body(return_last_frame=True)))["id"]
    assert wait_task(api, done_id)["status"] == "succeeded"
    done = wait_for(lambda: (b := ok(api.get(f"/v1/video/generations/{done_id}")))["status"] == "completed" and b)
    assert done["model"] == PRO and done["video_url"].startswith(f"{gateway.url}/v1/video/generations/{done_id}/")
    assert url not in str(done)
    video = httpx.get(done["video_url"], timeout=30)
    assert video.status_code == 200 and b"ftyp" in video.content[:12]
    assert httpx.get(done["cover_url"], timeout=30).content.startswith(b"\x89PNG")

    page = ok(api.get("/v1/video/generations", params={"limit": 1}))
    assert [v["id"] for v in page["data"]] == [done_id] and page["has_more"]
    assert ok(api.get("/v1/video/generations", params={"after": done_id}))["data"][0]["id"] == queued
    assert ok(client(stack, gateway, OTHER_KEY).get("/v1/video/generations"))["data"] == []

    assert ok(api.delete(f"{TASKS}/{done_id}")) == {}  # deleted: no reader shows it again
    assert [v["id"] for v in ok(api.get("/v1/video/generations"))["data"]] == [queued]
    assert api.get(f"/v1/video/generations/{done_id}").status_code == 404
