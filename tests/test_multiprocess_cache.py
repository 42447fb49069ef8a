"""Two gateways on one store: configuration changes reach both (revision polling, or Redis at once)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from conftest import USER_KEY, Gateway, Upstream, channel, funded, per_token


def _wait_for_status(url: str, want: int, seconds: float) -> float:
    started = time.monotonic()
    headers = {"Authorization": f"Bearer {USER_KEY}"}
    body = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
    while time.monotonic() - started < seconds:
        if httpx.post(url + "/v1/chat/completions", json=body, headers=headers).status_code == want:
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"{url} never answered {want}")


@pytest.mark.parametrize("mode", ["polling", "redis"])
def test_a_key_disabled_on_one_gateway_is_refused_by_the_other(
    mode: str, make_upstream: Callable[..., Upstream], make_gateway: Callable[..., Gateway], request: Any
) -> None:
    upstream = make_upstream()
    if mode == "redis":
        extra = {**request.getfixturevalue("redis_settings"), "cache_refresh_s": 60.0}
    else:
        extra = {"cache_refresh_s": 0.2}
    config = {**funded(), "channels": [channel("up", upstream)], "prices": [per_token()], **extra}
    first = make_gateway(**config)
    second = make_gateway(**config)
    _wait_for_status(second.url, 200, 5)
    first.admin_json("PATCH", "/api/admin/keys/1", json={"enabled": False})
    assert _wait_for_status(second.url, 401, 5) < 3
