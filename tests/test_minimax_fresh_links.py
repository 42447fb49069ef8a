"""MiniMax's ``download_url`` expires: each download of a MiniMax video retrieves a fresh one upstream."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest

from conftest import Gateway
from mj_support import wait_for
from omnirelay.testing import FakeMiniMax
from video_support import MINIMAX_MODEL, client, minimax_channel, sdk, serve_minimax, start

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the SDK marks the Sora API deprecated


def _retrieves(fake: FakeMiniMax) -> int:
    return sum(1 for r in fake.requests if r.path == "/v1/files/retrieve")


def test_every_download_retrieves_a_fresh_link_so_expired_ones_never_matter(
    make_gateway: Callable[..., Gateway], stack: ExitStack
) -> None:
    fake, url = serve_minimax(stack, expire_old_urls=True)
    gateway = start(make_gateway, [minimax_channel("mm", url)])
    http = client(stack, gateway)
    task_id = http.post("/v1/video_generation", json={"model": MINIMAX_MODEL, "prompt": "a cat"}).json()["task_id"]
    done = wait_for(lambda: (b := http.get(f"/v1/video/generations/{task_id}").json())["status"] == "completed" and b)
    assert _retrieves(fake) == 1  # the poller resolved the file at success: that link has expired by now
    file_id = next(iter(fake.engine.tasks.values())).file_id
    assert httpx.get(f"{url}/files/{file_id}.mp4?token=1").status_code == 200  # the latest link works...
    assert httpx.get(f"{url}/files/{file_id}.mp4?token=0").status_code == 403  # the knob: old links expire

    for _ in range(2):  # each download: a fresh retrieve, then the file by its newest link
        before = _retrieves(fake)
        video = httpx.get(done["video_url"], timeout=30)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp", video.text
        assert _retrieves(fake) == before + 1

    made = sdk(gateway).videos.create(model=MINIMAX_MODEL, prompt="a dog", seconds="4")  # the /v1/videos ingress too
    wait_for(lambda: sdk(gateway).videos.retrieve(made.id).status == "completed")
    assert sdk(gateway).videos.download_content(made.id).read()[4:8] == b"ftyp"
