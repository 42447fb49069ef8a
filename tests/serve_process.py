"""``omnirelay serve`` as a real process: started on a free port, its stderr kept in a file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from secret_scan import watch_log


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without any ``OMNIRELAY_`` variable, with ``home`` as the home."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
    return {**clean, "OMNIRELAY_HOME": str(home)}


@contextmanager
def serving(config: Path, log: Path, *flags: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """``omnirelay serve -c config --port <free> flags``, up (``/readyz`` answers) for the block;
    yields its base URL. Stopped with SIGTERM after, so ``log`` then holds everything it wrote."""
    port = free_port()
    watch_log(log)
    command = [sys.executable, "-m", "omnirelay", "serve", "-c", str(config), "--port", str(port), *flags]
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, env=env or clean_env(config.parent / "home"), stdout=sink, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not come up:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(30)
