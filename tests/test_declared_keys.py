"""Keys declared in the settings file follow the file at every start, like channels (issue #8)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from conftest import ADMIN_KEY, USER_KEY, Upstream, channel
from omnirelay.app import create_app
from omnirelay.settings import Settings
from omnirelay.testing import serve_in_thread


@pytest.fixture
def start(tmp_path: Path, database_url: str, make_upstream: Any) -> Any:
    upstream: Upstream = make_upstream()

    @contextmanager
    def started(**key: Any) -> Iterator[str]:
        """A gateway whose file declares ``USER_KEY`` with ``key`` scopes; stopped after the block."""
        settings = Settings.model_validate(
            {
                "home": tmp_path / "home",
                "database_url": database_url,
                "admin_key": ADMIN_KEY,
                "secret_key": "Yl8cG9-7q7zAvxTJ1mQ3yPaXxjQ0X9Qh7Qd3m0e0Kjc=",
                "local_provider": False,
                "log": {"access": False},
                "accounts": [{"name": "acme", "balance": 10**12}],
                "keys": [{"account": "acme", "name": "main", "key": USER_KEY, **key}],
                "channels": [channel("fake", upstream, models=["gpt-test", "gpt-4o-mini"])],
                "prices": [{"model": m, "mode": "free"} for m in ("gpt-test", "gpt-4o-mini")],
            }
        )
        with serve_in_thread(create_app(settings)) as url:
            yield url

    return started


def _key(url: str) -> dict[str, Any]:
    answer = httpx.get(f"{url}/api/admin/keys", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    [record] = answer.json()["data"]
    return dict(record)


def _chat(url: str, model: str) -> int:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key=USER_KEY, max_retries=0)
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    except openai.APIStatusError as exc:
        return exc.status_code
    return 200


def test_changed_scopes_in_the_file_apply_at_the_next_start(start: Any) -> None:
    with start(models=["gpt-test"], rpm=100) as url:
        first = _key(url)
        assert (first["models"], first["rpm"]) == (["gpt-test"], 100)
        assert (_chat(url, "gpt-test"), _chat(url, "gpt-4o-mini")) == (200, 403)
    with start(models=["gpt-4o-mini"], ip_allowlist=["127.0.0.0/8"], expires_at="2999-01-01T00:00:00Z") as url:
        second = _key(url)
        assert second["id"] == first["id"] and second["key_hint"] == first["key_hint"]
        assert (second["models"], second["rpm"], second["ip_allowlist"]) == (["gpt-4o-mini"], None, ["127.0.0.0/8"])
        assert second["expires_at"] == 32472144000000
        assert (_chat(url, "gpt-test"), _chat(url, "gpt-4o-mini")) == (403, 200)
    with start(models=["gpt-4o-mini"], enabled=False) as url:
        assert _key(url)["enabled"] is False
        assert _chat(url, "gpt-4o-mini") == 401


def test_a_key_disabled_through_the_api_stays_disabled_unless_the_file_says_enabled(start: Any) -> None:
    with start() as url:
        key_id = _key(url)["id"]
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        assert httpx.patch(f"{url}/api/admin/keys/{key_id}", json={"enabled": False}, headers=headers).is_success
    with start() as url:
        assert _key(url)["enabled"] is False
    with start(enabled=True) as url:
        assert _key(url)["enabled"] is True
        assert _chat(url, "gpt-test") == 200
