"""The fake BFL's tasks: uuid ids, the walk Pending -> Pending with progress -> Ready | Error | moderated,
and the result files."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from omnirelay.testing._fake_bfl_knobs import FakeBflKnobs
from omnirelay.testing._fake_jobs import FakeJobs

__all__ = ["BflEngine", "FakeBflTask"]


@dataclass
class FakeBflTask:
    id: str
    model: str
    owner: str
    """The ``x-key`` that submitted it (a task is seen only by its own account)."""
    body: dict[str, Any]
    base_url: str
    status: str = "Pending"
    progress: float | None = None
    details: dict[str, Any] | None = None
    seed: int = 0
    start_time: float = field(default_factory=time.time)
    end_time: float | None = None

    @property
    def image_format(self) -> str:
        return "png" if self.body.get("output_format") == "png" else "jpeg"

    @property
    def size(self) -> tuple[int, int]:
        return int(self.body.get("width") or 1024), int(self.body.get("height") or 768)

    def sample_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/files/{self.id}/sample.{self.image_format}?se=fake-signature"

    def to_json(self) -> dict[str, Any]:
        """The task as ``GET /v1/get_result`` answers it."""
        result = None
        if self.status == "Ready":
            end = self.end_time or time.time()
            result = {
                "sample": self.sample_url(),
                "prompt": self.body.get("prompt"),
                "seed": self.seed,
                "start_time": self.start_time,
                "end_time": end,
                "duration": round(end - self.start_time, 3),
            }
        return {"id": self.id, "status": self.status, "result": result, "progress": self.progress,
                "details": self.details, "preview": None}  # fmt: skip


class BflEngine:
    def __init__(self, knobs: FakeBflKnobs) -> None:
        self.knobs = knobs
        self.tasks: dict[str, FakeBflTask] = {}
        self._jobs = FakeJobs()
        self._released = asyncio.Event()

    def start(self, model: str, owner: str, body: dict[str, Any], base_url: str) -> FakeBflTask:
        seed = body.get("seed")
        task = FakeBflTask(
            id=str(uuid.uuid4()),
            model=model,
            owner=owner,
            body=body,
            base_url=base_url,
            seed=seed if isinstance(seed, int) else len(self.tasks) + 42,
        )
        self.tasks[task.id] = task
        self._jobs.spawn(self._walk(task))
        return task

    def find(self, task_id: str, owner: str) -> FakeBflTask | None:
        task = self.tasks.get(task_id)
        return task if task is not None and task.owner == owner else None

    def release(self) -> None:
        self._released.set()

    async def close(self) -> None:
        await self._jobs.close()

    def _ending(self, task: FakeBflTask) -> str:
        knobs, prompt = self.knobs, str(task.body.get("prompt") or "")
        if any(word in prompt for word in knobs.request_moderated_prompts_containing):
            return "Request Moderated"
        if any(word in prompt for word in knobs.content_moderated_prompts_containing):
            return "Content Moderated"
        if knobs.fail_next > 0:
            knobs.fail_next -= 1
            return "Error"
        return "Error" if any(word in prompt for word in knobs.fail_prompts_containing) else "Ready"

    async def _walk(self, task: FakeBflTask) -> None:
        ending = self._ending(task)
        await asyncio.sleep(self.knobs.step_s)
        if ending != "Request Moderated":
            steps = max(1, self.knobs.progress_steps)
            for n in range(steps):
                task.progress = round((n + 1) / (steps + 1), 2)
                await asyncio.sleep(self.knobs.step_s)
            if self.knobs.hold:
                await self._released.wait()
        task.status, task.progress, task.end_time = ending, None, time.time()
        if ending == "Error":
            task.details = {"error": "The fake upstream was told to fail this task."}
        elif ending != "Ready":
            task.details = {"Moderation Reasons": ["Derivative Works Filter"]}
