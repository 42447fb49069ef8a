"""The quick start as a user meets it: `omnirelay serve` on an empty home, the CLI, the fake upstream."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import yaml

from omnirelay.settings import load_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OMNIRELAY_")}
    return {**clean, "OMNIRELAY_HOME": str(tmp_path / "data")}


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.terminate()
        process.wait(15)


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "omnirelay", *args], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _serve(env: dict[str, str], port: int, processes: list[subprocess.Popen[str]], log: Path) -> str:
    """Start the gateway; return what it printed on its way up."""
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "omnirelay", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            text=True,
        )
    processes.append(process)
    _wait_up(f"http://127.0.0.1:{port}/readyz")
    return log.read_text()


def test_first_start_prints_an_admin_key_once_and_serves_from_sqlite(
    env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    port = _free_port()
    banner = _serve(env, port, processes, tmp_path / "first.log")
    key = re.search(r"(sk-[A-Za-z0-9]{48})", banner)
    assert key is not None, banner
    admin = {"Authorization": f"Bearer {key.group(1)}"}
    assert httpx.get(f"http://127.0.0.1:{port}/api/admin/accounts", headers=admin).json() == {"data": []}
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
    assert (tmp_path / "data" / "omnirelay.db").exists()
    assert key.group(1) not in (tmp_path / "data" / "omnirelay.db").read_bytes().decode(errors="ignore")
    processes[-1].terminate()
    processes[-1].wait(15)
    assert "Admin key" not in _serve(env, port, processes, tmp_path / "second.log")
    assert httpx.get(f"http://127.0.0.1:{port}/api/admin/accounts", headers=admin).status_code == 200


def test_cli_and_cli_fake_upstream_make_a_working_gateway(
    env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    upstream_port, port = _free_port(), _free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "omnirelay", "fake-upstream", "openai", "--port", str(upstream_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    processes.append(fake)
    _wait_up(f"http://127.0.0.1:{upstream_port}/v1/models")
    _cli(env, "accounts", "create", "demo", "--balance", "1000000")
    key = _cli(env, "keys", "create", "1", "--name", "demo").strip()
    _cli(env, "channels", "create", "fake", f"http://127.0.0.1:{upstream_port}/v1", "--model", "gpt-test")
    _cli(env, "prices", "set", "gpt-test", "--input-per-million", "1000000", "--output-per-million", "2000000")
    _serve(env, port, processes, tmp_path / "serve.log")
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
    answer = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "ping"}])
    assert answer.choices[0].message.content == "Hello! You said: ping"


def test_settings_come_from_a_file_with_the_environment_on_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("OMNIRELAY_")]:
        monkeypatch.delenv(name)
    toml = tmp_path / "omnirelay.toml"
    toml.write_text('[server]\nport = 4000\nhost = "0.0.0.0"\n[relay]\nretries = 5\n')
    monkeypatch.setenv("OMNIRELAY_SERVER__PORT", "4100")
    settings = load_settings(toml)
    assert (settings.server.host, settings.server.port, settings.relay.retries) == ("0.0.0.0", 4100, 5)
    with pytest.raises(Exception, match="frozen"):
        settings.server.port = 1  # type: ignore[misc]
    as_yaml = tmp_path / "omnirelay.yaml"
    as_yaml.write_text(yaml.safe_dump({"channels": [{"name": "c", "base_url": "http://x/v1", "models": ["m"]}]}))
    assert load_settings(as_yaml).channels[0].name == "c"
    monkeypatch.setenv("OMNIRELAY_HOME", str(tmp_path))
    assert load_settings().server.port == 4100
    assert load_settings().effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'omnirelay.db'}"
