"""Memory of a gateway while many clients download videos at once: it must not grow with file size.

Three processes on loopback: the fake Kling upstream (``omnirelay fake-upstream kling``) with its
videos padded to the size under test, the gateway (SQLite, billing on, one worker), and this
script as the clients. For each size, one text-to-video task is made, then ``--clients`` clients
download its video through the gateway's signed link at the same time, while the gateway's
resident memory is sampled every 20 ms.

    .venv/bin/python bench/video_downloads.py                       # 5 MB and 50 MB, 20 clients
    .venv/bin/python bench/video_downloads.py --sizes 1 10 100 --clients 40

Reported per size: the gateway's RSS before, its peak during the downloads, the growth, and the
aggregate throughput. Flat memory means the growth stays about the same whatever the size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

KEY = "sk-bench-video-0000000000000000000000000000000000000000"
ACCESS, SECRET = "ak-bench", "sk-bench-kling-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config(home: Path, port: int, upstream: int) -> Path:
    path = home / "bench.toml"
    path.write_text(
        f"""
home = "{home}"
admin_key = "sk-bench-admin-key"
[server]
port = {port}
[tasks]
poll_min_s = 0.05
poll_max_s = 0.2
[outbound]
allow_networks = ["127.0.0.1/32"]
[[accounts]]
name = "bench"
balance = 1_000_000_000_000
[[keys]]
account = "bench"
name = "bench"
key = "{KEY}"
[[channels]]
name = "kling"
type = "kling"
base_url = "http://127.0.0.1:{upstream}"
secrets = ["{ACCESS}|{SECRET}"]
models = ["kling-v1"]
[[prices]]
model = "kling-v1"
mode = "per_call"
per_call = 1000
"""
    )
    return path


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def video_link(gateway: str) -> str:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=gateway, headers=headers, timeout=30) as api:
        created = api.post("/v1/videos/text2video", json={"model_name": "kling-v1", "prompt": "bench"}).json()
        task_id = created["data"]["task_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data: dict[str, Any] = api.get(f"/v1/videos/text2video/{task_id}").json()["data"]
            if data["task_status"] == "succeed":
                return str(data["task_result"]["videos"][0]["url"])
            time.sleep(0.1)
    raise SystemExit("the video task did not finish")


async def download_all(link: str, clients: int) -> int:
    async def one(client: httpx.AsyncClient) -> int:
        size = 0
        async with client.stream("GET", link) as response:
            async for chunk in response.aiter_raw(256 * 1024):
                size += len(chunk)
        return size

    async with httpx.AsyncClient(timeout=300, limits=httpx.Limits(max_connections=clients)) as client:
        sizes = await asyncio.gather(*(one(client) for _ in range(clients)))
    return sum(sizes)


def measure(pid: int, link: str, clients: int) -> tuple[int, int, float, int]:
    """(rss before, peak rss, seconds, bytes) of ``clients`` simultaneous downloads of ``link``."""
    asyncio.run(download_all(link, 1))  # warm the pools
    before, peak, done = rss(pid), [rss(pid)], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    total = asyncio.run(download_all(link, clients))
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return before, peak[0], seconds, total


def run_size(size_mb: float, clients: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="omnirelay-bench-video-"))
    upstream_port, port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
    fake_cmd = [sys.executable, "-m", "omnirelay", "fake-upstream", "kling", "--port", str(upstream_port),
                "--step-ms", "50", "--video-padding-mb", str(size_mb), "--key", f"{ACCESS}|{SECRET}"]  # fmt: skip
    processes = [subprocess.Popen(fake_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        wait_up(f"http://127.0.0.1:{upstream_port}/files/none/0.mp4")
        serve = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config(home, port, upstream_port))]
        gateway = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(gateway)
        url = f"http://127.0.0.1:{port}"
        wait_up(f"{url}/readyz")
        before, peak, seconds, total = measure(gateway.pid, video_link(url), clients)
        mb = 1024 * 1024
        print(
            f"{size_mb:>7.0f} MB x {clients} clients: RSS before {before / mb:6.1f} MB, peak {peak / mb:6.1f} MB, "
            f"growth {(peak - before) / mb:5.1f} MB; {total / mb / seconds:7.1f} MB/s in {seconds:.1f} s"
        )
    finally:
        for process in processes:
            process.terminate()
            process.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[5.0, 50.0], help="video sizes in MB")
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()
    for size in args.sizes:
        run_size(size, args.clients)


if __name__ == "__main__":
    main()
