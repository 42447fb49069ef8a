"""A task fake's background work: the asyncio jobs walking its tasks and its notify-hook POSTs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

import httpx

__all__ = ["FakeJobs"]


class FakeJobs:
    """Jobs spawned on the app's loop, all cancelled by :meth:`close`; hook POSTs go out in order, no retries."""

    def __init__(self) -> None:
        self._jobs: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        job = asyncio.get_running_loop().create_task(coroutine)
        self._jobs.add(job)
        job.add_done_callback(self._jobs.discard)
        return job

    def notify(self, url: str, body: bytes, previous: asyncio.Task[None] | None) -> asyncio.Task[None]:
        """POST ``body`` (JSON) to ``url`` once ``previous`` (the task's last POST) is done; errors are dropped."""
        return self.spawn(self._post(url, body, previous))

    async def close(self) -> None:
        pending = list(self._jobs)
        for job in pending:
            job.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _post(self, url: str, body: bytes, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=30)
        with contextlib.suppress(httpx.HTTPError, httpx.InvalidURL):
            await self._client.post(url, content=body, headers={"Content-Type": "application/json"})
