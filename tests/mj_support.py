"""Helpers for Midjourney tests: a fake proxy channel, MJ prices, a webhook receiver, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

MJ_MODELS = ["mj_imagine", "mj_upscale", "mj_variation", "mj_reroll", "mj_describe", "mj_blend", "mj_modal", "mj_zoom"]
PRICE = 50_000


def mj_prices(per_call: int = PRICE) -> list[dict[str, Any]]:
    return [{"model": m, "mode": "per_call", "per_call": per_call} for m in MJ_MODELS]


def mj_channel(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "midjourney", "base_url": url, "secrets": ["mj-secret"], "models": MJ_MODELS, **extra}


@dataclass
class Receiver:
    """A webhook receiver that records every POST; ``down`` makes it answer 503."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    down: bool = False

    @property
    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            if self.down:
                return Response(status_code=503)
            self.received.append((dict(request.headers), body))
            return Response(status_code=204)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def fetch(client: httpx.Client, task_id: str) -> dict[str, Any]:
    response = client.get(f"/mj/task/{task_id}/fetch")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def wait_status(client: httpx.Client, task_id: str, *statuses: str, timeout: float = 20.0) -> dict[str, Any]:
    result: dict[str, Any] = wait_for(
        lambda: (t := fetch(client, task_id))["status"] in statuses and t, timeout=timeout
    )
    return result
