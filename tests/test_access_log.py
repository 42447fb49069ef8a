"""The access log of `omnirelay serve`: one line per request, never a key (issue #8)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from omnirelay.testing import FakeOpenAI, serve_in_thread
from serve_process import serving

KEY = "sk-accesslog-0123456789abcdef0123456789abcdef0123456789"
ADMIN = "sk-accesslog-admin-0123456789abcdef0123456789abcdef012345"
UPSTREAM_SECRET = "sk-upstream-never-logged-0123456789"
SIGNATURE = "5f1d0c0ffee0ddba11"


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_in_thread(FakeOpenAI().app) as url:
        yield url


def _settings(tmp_path: Path, upstream: str, extra: str = "") -> Path:
    config = tmp_path / "omnirelay.toml"
    config.write_text(
        f"""admin_key = "{ADMIN}"
local_provider = false
{extra}
[[accounts]]
name = "acme"
balance = 1_000_000_000

[[keys]]
account = "acme"
name = "main"
key = "{KEY}"

[[channels]]
name = "fake"
base_url = "{upstream}/v1"
secrets = ["{UPSTREAM_SECRET}"]
models = ["gpt-test"]

[[prices]]
model = "gpt-test"
input_per_million = 1_000_000
output_per_million = 2_000_000
"""
    )
    return config


def _traffic(url: str) -> int:
    """A chat call, a streamed one, a refused one and a query carrying a key; the account's id."""
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)
    client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
    stream = client.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    wrong = openai.OpenAI(base_url=f"{url}/v1", api_key=KEY[:-4] + "zzzz", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.models.list()
    query = {"key": KEY, "sig": SIGNATURE, "limit": "5"}
    answer = httpx.get(f"{url}/v1/models", params=query, headers={"Authorization": f"Bearer {KEY}"})
    assert answer.status_code == 200
    admin = httpx.get(f"{url}/api/admin/accounts", headers={"Authorization": f"Bearer {ADMIN}"})
    return int(admin.json()["data"][0]["id"])


def test_console_access_log_has_one_line_per_request_and_no_key(tmp_path: Path, upstream: str) -> None:
    log = tmp_path / "serve.log"
    with serving(_settings(tmp_path, upstream), log) as url:
        account = _traffic(url)
    text = log.read_text()
    chat = [line for line in text.splitlines() if "path=/v1/chat/completions" in line]
    assert len(chat) == 2, text
    for line in chat:
        assert "method=POST" in line and "status=200" in line, line
        assert f"account={account}" in line and "model=gpt-test" in line and "request_id=" in line, line
        assert "duration_ms=" in line, line
    refused = [line for line in text.splitlines() if "path=/v1/models" in line and "status=401" in line]
    assert len(refused) == 1, text
    listed = [line for line in text.splitlines() if "path=/v1/models" in line and "status=200" in line]
    assert len(listed) == 1 and "key=[redacted]&sig=[redacted]&limit=5" in listed[0], text
    for secret in (KEY, KEY[:-4], ADMIN, UPSTREAM_SECRET, SIGNATURE):
        assert secret not in text


def test_json_access_log_is_one_object_per_line(tmp_path: Path, upstream: str) -> None:
    log = tmp_path / "serve.log"
    with serving(_settings(tmp_path, upstream), log, "--log-format", "json") as url:
        account = _traffic(url)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    chat = [entry for entry in lines if entry.get("path") == "/v1/chat/completions"]
    assert len(chat) == 2, lines
    for entry in chat:
        assert entry["event"] == "request" and entry["level"] == "info"
        seen = (entry["method"], entry["status"], entry["account"], entry["model"])
        assert seen == ("POST", 200, account, "gpt-test")
        assert entry["request_id"] and entry["duration_ms"] >= 0 and entry["timestamp"]
    assert KEY not in log.read_text() and KEY[:-4] not in log.read_text()


def test_access_log_off_and_level_warning_write_no_request_lines(tmp_path: Path, upstream: str) -> None:
    log = tmp_path / "serve.log"
    config = _settings(tmp_path, upstream, extra="[log]\naccess = false\n")
    with serving(config, log) as url:
        _traffic(url)
    assert "path=/v1/chat/completions" not in log.read_text()
    with serving(_settings(tmp_path, upstream), log, "--log-level", "WARNING") as url:
        _traffic(url)
    assert "path=/v1/chat/completions" not in log.read_text()
