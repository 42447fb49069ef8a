"""The job walker behind the fake task vendors: a job is queued, runs (its progress rising), then
ends done or failed, one step every ``step_s`` on the server's loop; it may be canceled meanwhile.
Each fake renders its jobs in its own wire shape (:mod:`.fake_digital_human`, :mod:`.fake_ppt`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FakeJob", "FakeJobs", "FakeVendorKnobs"]

RUN_STEPS = 3
"""Steps a job spends running (its progress 0, 1/3, 2/3 of the way) before it ends."""


@dataclass
class FakeVendorKnobs:
    api_key: str | None = None
    """The key callers must send; None: any."""
    step_s: float = 0.3
    fail_next: int = 0
    """Fail this many jobs when they end (``fail_reason``)."""
    fail_reason: str = "The renderer ran out of memory."
    error_next: int = 0
    """Answer this many submits with a 500 (a channel's trouble: the gateway fails over)."""
    hold: bool = False
    """Keep jobs running until released (cancel and timeout tests)."""


@dataclass
class FakeJob:
    id: str
    body: dict[str, Any]
    state: str = "queued"
    """``queued``, ``running``, ``done``, ``failed`` or ``canceled``."""
    progress: float = 0.0
    """0..1."""
    reason: str | None = None
    fail: bool = False
    _walker: asyncio.Task[None] | None = field(default=None, repr=False)


class FakeJobs:
    def __init__(self, knobs: FakeVendorKnobs) -> None:
        self.knobs = knobs
        self.jobs: dict[str, FakeJob] = {}

    def start(self, body: dict[str, Any]) -> FakeJob:
        job = FakeJob(id=secrets.token_hex(8), body=body)
        if self.knobs.fail_next > 0:
            self.knobs.fail_next -= 1
            job.fail = True
        self.jobs[job.id] = job
        job._walker = asyncio.get_running_loop().create_task(self._walk(job))
        return job

    def release(self) -> None:
        self.knobs.hold = False

    def cancel(self, job: FakeJob) -> bool:
        if job.state not in ("queued", "running"):
            return False
        job.state = "canceled"
        if job._walker is not None:
            job._walker.cancel()
        return True

    async def _walk(self, job: FakeJob) -> None:
        await asyncio.sleep(self.knobs.step_s)
        job.state = "running"
        for step in range(1, RUN_STEPS):
            await asyncio.sleep(self.knobs.step_s)
            job.progress = step / RUN_STEPS
        while self.knobs.hold:  # noqa: ASYNC110 (a knob flipped from a test's thread: no event to wait on)
            await asyncio.sleep(0.05)
        await asyncio.sleep(self.knobs.step_s)
        if job.fail:
            job.state, job.reason = "failed", self.knobs.fail_reason
        else:
            job.state, job.progress = "done", 1.0

    async def close(self) -> None:
        for job in self.jobs.values():
            if job._walker is not None:
                job._walker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job._walker
