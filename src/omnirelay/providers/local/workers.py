"""One bound on all the work the local models do in a gateway process: so many at once, so many waiting.

Every model run of the ``local`` provider (embeddings, rerank, describe, speech to text, text to
speech, chat) takes a slot before its worker thread starts and gives it back when the thread
ends, also when the client has gone away meanwhile (the thread cannot be stopped, so it still
counts). With every slot taken, up to ``max_queue`` calls wait in line (first come, first
served); one more is refused at once with :class:`~omnirelay.errors.Overloaded` (503 and
``Retry-After``), so a burst costs neither unbounded memory nor minutes of queueing.

Loading a model (once per process) is not counted: it happens before the first call's run.
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from omnirelay.errors import Overloaded
from omnirelay.settings import LocalSettings

__all__ = ["LocalWork"]

P = ParamSpec("P")
T = TypeVar("T")
_RETRY_AFTER_S = 1.0


class LocalWork:
    def __init__(self, settings: LocalSettings) -> None:
        self._slots = settings.max_concurrency
        self._max_queue = settings.max_queue
        self._running = 0
        self._line: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> None:
        """Take a slot, waiting in line if need be; :class:`Overloaded` when the line is full."""
        if self._running < self._slots and not self._line:
            self._running += 1
            return
        if len(self._line) >= self._max_queue:
            raise Overloaded(
                f"The local models are busy: {self._slots} calls are running and {len(self._line)} waiting, "
                "the most this gateway takes (settings local.max_concurrency, local.max_queue). Retry shortly.",
                retry_after=_RETRY_AFTER_S,
            )
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        try:
            await turn  # release() hands its slot over by resolving this future
        except asyncio.CancelledError:
            if not turn.cancelled():
                self.release()  # the slot arrived as the caller left: pass it on
            elif turn in self._line:
                self._line.remove(turn)
            raise

    def release(self) -> None:
        """Give a slot back: to the next caller in line, else to the pool."""
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._running -= 1

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(*args, **kwargs)`` in a worker thread once a slot is free; the slot is held until it returns."""
        await self.acquire()
        try:
            future = asyncio.get_running_loop().run_in_executor(None, functools.partial(work, *args, **kwargs))
        except BaseException:
            self.release()
            raise
        future.add_done_callback(lambda _: self.release())
        return await asyncio.shield(future)
