"""The fake Replicate's webhooks: Standard Webhooks signatures, the event filter, the 500 ms
throttle of ``output``/``logs`` events, and retries of the ``completed`` one only.

Deliveries to one prediction's URL go out in order; each is kept in :attr:`WebhookSender.deliveries`
so tests can see what was sent and what the receiver answered.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from omnirelay.testing._fake_jobs import FakeJobs
from omnirelay.testing._fake_replicate_knobs import FakeReplicateKnobs
from omnirelay.webhooks.signing import signed_headers

__all__ = ["DEFAULT_EVENTS", "EVENTS", "Delivery", "HookState", "WebhookSender"]

EVENTS = ("start", "output", "logs", "completed")
DEFAULT_EVENTS = frozenset({"output", "completed"})
"""What Replicate sends when the create has no ``webhook_events_filter``."""
_INTERMEDIATE = frozenset({"output", "logs"})


@dataclass
class Delivery:
    url: str
    event: str
    webhook_id: str
    body: bytes
    status: int | None
    """The receiver's HTTP status; None when it could not be reached."""
    attempt: int


@dataclass
class HookState:
    """One prediction's webhook targets and where its throttle stands."""

    targets: list[tuple[str, frozenset[str]]]
    last_intermediate: float = 0.0
    pending: bool = False
    chain: asyncio.Task[None] | None = field(default=None, repr=False)


class WebhookSender:
    def __init__(self, knobs: Callable[[], FakeReplicateKnobs], jobs: FakeJobs) -> None:
        self._knobs = knobs
        self._jobs = jobs
        self._client: httpx.AsyncClient | None = None
        self.deliveries: list[Delivery] = []

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def event(self, hooks: HookState, event: str, snapshot: Callable[[], dict[str, Any]]) -> None:
        """``event`` happened to a prediction; ``snapshot`` renders it as it is when a webhook goes out."""
        if not self._knobs().send_webhooks or not any(event in events for _, events in hooks.targets):
            return
        if event not in _INTERMEDIATE:
            self._send(hooks, event, orjson.dumps(snapshot()))
            return
        throttle = self._knobs().webhook_throttle_s
        wait = hooks.last_intermediate + throttle - time.monotonic()
        if wait <= 0 and not hooks.pending:
            hooks.last_intermediate = time.monotonic()
            self._send(hooks, event, orjson.dumps(snapshot()))
        elif not hooks.pending:
            hooks.pending = True
            self._jobs.spawn(self._later(hooks, event, snapshot, max(0.0, wait)))

    async def _later(self, hooks: HookState, event: str, snapshot: Callable[[], dict[str, Any]], wait: float) -> None:
        """The throttled event, with the prediction as it is by then (unless it ended: ``completed`` says it all)."""
        await asyncio.sleep(wait)
        hooks.pending = False
        body = snapshot()
        if body.get("status") in ("succeeded", "failed", "canceled", "aborted"):
            return
        hooks.last_intermediate = time.monotonic()
        self._send(hooks, event, orjson.dumps(body))

    def _send(self, hooks: HookState, event: str, body: bytes) -> None:
        for url, events in hooks.targets:
            if event in events:
                hooks.chain = self._jobs.spawn(self._deliver(url, event, body, hooks.chain))

    async def _deliver(self, url: str, event: str, body: bytes, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        webhook_id = "msg_" + uuid.uuid4().hex
        delays = self._knobs().webhook_retry_delays_s if event == "completed" else ()
        for attempt in range(len(delays) + 1):
            if attempt:
                await asyncio.sleep(delays[attempt - 1])
            status = await self._post(url, webhook_id, body)
            self.deliveries.append(Delivery(url, event, webhook_id, body, status, attempt + 1))
            if status is not None and 200 <= status < 300:
                return

    async def _post(self, url: str, webhook_id: str, body: bytes) -> int | None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10, follow_redirects=False)
        headers = {"Content-Type": "application/json", **signed_headers(self._knobs().webhook_secret, webhook_id, body)}
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL):
            return None
        return response.status_code
