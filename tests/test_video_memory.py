"""A 50 MB video goes through a real gateway process with flat memory (issue #13): the result link
streams what the upstream serves, it never holds the file whole."""

from __future__ import annotations

import hashlib
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from conftest import ADMIN_KEY, USER_KEY
from durability_support import Gateways, free_port
from mj_support import wait_for
from omnirelay.testing import FakeKling, FakeKlingKnobs, serve_in_thread

ACCESS, SECRET = "ak-kling-test", "sk-kling-test-secret-0123456789abcdef"
VIDEO_BYTES = 50 * 1024 * 1024
GROWTH_LIMIT = 20 * 1024 * 1024
"""What the gateway's resident memory may grow by while relaying the 50 MB (buffers, not the file)."""


def _config(path: Path, upstream: str) -> Path:
    path.write_text(
        f"""
home = "{path.parent / "home"}"
admin_key = "{ADMIN_KEY}"
[tasks]
poll_min_s = 0.05
poll_max_s = 0.2
[outbound]
allow_networks = ["127.0.0.1/32"]
[[accounts]]
name = "acme"
balance = 10000000
[[keys]]
account = "acme"
name = "main"
key = "{USER_KEY}"
[[channels]]
name = "kling"
base_url = "{upstream}"
type = "kling"
secrets = ["{ACCESS}|{SECRET}"]
models = ["kling-v1"]
[[prices]]
model = "kling-v1"
mode = "per_call"
per_call = 100000
"""
    )
    return path


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class _Sampler:
    """The highest resident size of a process, sampled every 20 ms while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._done = pid, _rss(pid), threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, _rss(self.pid))

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def _download(api: httpx.Client, url: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with api.stream("GET", url) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"] == "video/mp4"
        for chunk in response.iter_bytes(256 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


@pytest.mark.slow
def test_a_50_mb_video_streams_through_the_gateway_with_flat_memory(stack: ExitStack, tmp_path: Path) -> None:
    fake = FakeKling(FakeKlingKnobs(step_s=0.05, keys={ACCESS: SECRET}, video_padding_bytes=VIDEO_BYTES))
    upstream = stack.enter_context(serve_in_thread(fake.app))
    gateways = Gateways()
    stack.callback(gateways.close)
    port = free_port()
    process = gateways.serve(_config(tmp_path / "omnirelay.toml", upstream), port)
    api = stack.enter_context(
        httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {USER_KEY}"}, timeout=60)
    )
    created = api.post("/v1/videos/text2video", json={"model_name": "kling-v1", "prompt": "a long fox"})
    task_id = created.json()["data"]["task_id"]

    def finished() -> dict[str, object] | None:
        data = api.get(f"/v1/videos/text2video/{task_id}").json()["data"]
        return data if data["task_status"] == "succeed" else None

    link = wait_for(finished, 30)["task_result"]["videos"][0]["url"]  # type: ignore[index]
    direct = httpx.get(f"{upstream}/files/{next(iter(fake.tasks))}/0.mp4").content
    _download(api, link)  # the first relay warms buffers and connection pools
    time.sleep(0.3)
    before = _rss(process.pid)
    with _Sampler(process.pid) as sampler:
        size, digest = _download(api, link)
    assert size == len(direct) > VIDEO_BYTES and digest == hashlib.sha256(direct).hexdigest()
    assert sampler.peak - before < GROWTH_LIMIT, f"RSS grew {(sampler.peak - before) / 2**20:.1f} MB for 50 MB"
