"""Upstream callbacks as wake-up calls: the task is polled at once, and the poll's answer is what counts.

A callback's body is never applied. Whoever holds a task's callback URL could otherwise
report ``FAILURE`` (refunded while the upstream still delivers) or ``SUCCESS`` with a link
of their choosing; asking the upstream itself, with the channel's secret, at the channel's
configured address, leaves nothing to forge. Callbacks that arrive together share one poll
per channel; more than ``max_pending`` waiting are left to the regular polls. Tasks are read
again just before each poll, so a callback that arrived while the previous poll of its task
was under way is not lost to a stale version.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import structlog

from omnirelay.background import cancel_and_wait
from omnirelay.tasks.model import TaskRecord

__all__ = ["PollSoon"]

log = structlog.get_logger(__name__)

_GATHER_S = 0.01
"""A short pause before each poll, so callbacks arriving together share it."""


class PollSoon:
    def __init__(
        self,
        load: Callable[[Sequence[str]], Awaitable[list[TaskRecord]]],
        poll: Callable[[list[TaskRecord]], Awaitable[None]],
        *,
        max_pending: int = 10_000,
    ) -> None:
        self._load = load
        self._poll = poll
        self._max_pending = max_pending
        self._pending: set[str] = set()
        self._runner: asyncio.Task[None] | None = None

    def add(self, task_id: str) -> None:
        if len(self._pending) >= self._max_pending:
            return
        self._pending.add(task_id)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._drain(), name="omnirelay-task-poll-soon")

    async def _drain(self) -> None:
        while self._pending:
            await asyncio.sleep(_GATHER_S)
            batch = list(self._pending)
            self._pending.clear()
            try:
                await self._poll(await self._load(batch))
            except asyncio.CancelledError:
                raise
            except Exception:  # the store or the upstream may be away; the regular polls catch up
                log.exception("polling tasks after their callbacks failed", tasks=len(batch))

    async def stop(self) -> None:
        await cancel_and_wait(self._runner)
        self._runner = None
