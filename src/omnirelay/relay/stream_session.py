"""What every relayed stream shares: the deadline, the failure handling, and settling the job once.

Each dialect's session (chat, Gemini, Anthropic, Responses, legacy completions) keeps its own
parsing (what counts as usage, what an in-band error looks like, how frames are encoded) and hands
the rest to a :class:`StreamRun`: its frames run inside :meth:`StreamRun.guard`, each next upstream
read goes through :meth:`StreamRun.next` (cut at ``relay.max_request_s``), and ``finish`` ends in
:meth:`StreamRun.settle`. Outcomes: completed (bill the usage); cut by the gateway (bill the usage
with a 504); client left (bill it with a 499); upstream broke, or a fault of ours (refund all).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TypeVar

from omnirelay.errors import UpstreamError, UpstreamTimeout
from omnirelay.providers.base import Usage
from omnirelay.relay.job import Job

__all__ = ["StreamCut", "StreamRun"]

T = TypeVar("T")


class StreamCut(UpstreamTimeout):
    """The gateway's own deadline (``relay.max_request_s``), not an upstream failure: billed, not refunded."""

    code = "max_request_time"

    def __init__(self, limit: float) -> None:
        super().__init__(
            f"The gateway ended this stream after relay.max_request_s ({limit:g} s); "
            "what was delivered is billed. Ask for fewer tokens, or ask the operator to raise the limit."
        )


class StreamRun:
    """How one relayed stream went; the session's parsing sets :attr:`completed` or :attr:`upstream_error`."""

    def __init__(self, job: Job, max_request_s: float) -> None:
        self.job = job
        self.max_request_s = max_request_s
        self.completed = False
        self.cut: StreamCut | None = None
        self.upstream_error: UpstreamError | None = None
        self.ours = False
        """The failure was the gateway's own, not the upstream's (it does not count against the channel)."""
        self._deadline = 0.0

    async def guard(
        self, frames: AsyncGenerator[bytes, None], error_frame: Callable[[UpstreamError], bytes]
    ) -> AsyncGenerator[bytes, None]:
        """``frames`` for the client; a cut or an upstream failure ends them with ``error_frame(exc)``.

        The deadline starts counting down here, when the client starts reading."""
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self.max_request_s - (time.perf_counter() - self.job.started)
        try:
            async for frame in frames:
                yield frame
        except StreamCut as cut:
            self.cut = cut
            yield error_frame(cut)
        except UpstreamError as exc:
            self.upstream_error = exc
            yield error_frame(exc)
        except Exception as exc:  # a fault of ours must not cost the client: refund, then report it
            self.upstream_error = UpstreamError(f"the stream failed inside the gateway: {exc}")
            self.ours = True
            raise
        finally:
            with contextlib.suppress(RuntimeError):  # a generator still running cannot be closed
                await frames.aclose()

    async def next(self, reads: AsyncIterator[T]) -> T | None:
        """The next upstream read (``None`` at its end), or :class:`StreamCut` once the deadline passed."""
        timer = asyncio.timeout_at(self._deadline)
        try:
            async with timer:
                return await anext(reads, None)
        except TimeoutError as exc:
            if not timer.expired():
                raise
            raise StreamCut(self.max_request_s) from exc

    async def settle(self, usage: Callable[[], Usage]) -> None:
        """Refund a broken stream, else bill ``usage()`` for how it ended: call once, from ``finish``."""
        job = self.job
        if self.upstream_error is not None:
            if self.ours:
                await job.fail(self.upstream_error)
            else:
                await job.broke_mid_stream(self.upstream_error)
            return
        billed = usage()
        if self.completed:
            await job.succeed(billed)
        elif self.cut is not None:
            await job.succeed(billed, status=self.cut.status_code, error=self.cut.message)
        else:
            await job.succeed(billed, status=499, error="client disconnected mid-stream")
