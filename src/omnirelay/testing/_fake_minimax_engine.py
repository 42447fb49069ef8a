"""The fake MiniMax's tasks: numeric ids, the walk Preparing -> Queueing -> Processing -> Success | Fail,
and each succeeded task's one file (an H.264 MP4 drawn per task, so its URL always serves the same bytes)."""

from __future__ import annotations

import asyncio
import functools
import itertools
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from omnirelay.testing._fake_jobs import FakeJobs
from omnirelay.testing._fake_minimax_knobs import FakeMiniMaxKnobs
from omnirelay.testing._fake_replicate_media import render

__all__ = ["FakeMiniMaxTask", "MiniMaxEngine", "video_bytes"]

_IDS = itertools.count(106916112212032)
_FILE_IDS = itertools.count(205258526306433)
_SIDES = {"512P": (512, 512), "720P": (1280, 720), "768P": (1366, 768), "1080P": (1920, 1080)}


@dataclass
class FakeMiniMaxTask:
    id: str
    owner: str
    body: dict[str, Any]
    status: str = "Preparing"
    reason: str = ""
    file_id: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))

    def to_json(self) -> dict[str, Any]:
        """The task as ``/v1/query/video_generation`` answers it."""
        answer: dict[str, Any] = {"task_id": self.id, "status": self.status}
        if self.status == "Success":
            width, height = _SIDES.get(str(self.body.get("resolution") or "768P"), (1366, 768))
            answer.update(file_id=self.file_id, video_width=width, video_height=height)
        if self.status == "Fail":
            answer["base_resp"] = {"status_code": 1027, "status_msg": self.reason}
        else:
            answer["base_resp"] = {"status_code": 0, "status_msg": "success"}
        return answer


@functools.lru_cache(maxsize=64)
def _drawn(seed: str) -> bytes:
    return render(seed, "mp4")


def video_bytes(task: FakeMiniMaxTask, padding: int) -> bytes:
    video = _drawn(f"minimax/{task.id}")
    if padding > 0:  # a top-level ``free`` box: players skip it
        size = max(padding, 8)
        video += struct.pack(">I", size) + b"free" + bytes(size - 8)
    return video


class MiniMaxEngine:
    def __init__(self, knobs: FakeMiniMaxKnobs) -> None:
        self.knobs = knobs
        self.tasks: dict[str, FakeMiniMaxTask] = {}
        self._jobs = FakeJobs()
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    def start(self, owner: str, body: dict[str, Any]) -> FakeMiniMaxTask:
        task = FakeMiniMaxTask(id=str(next(_IDS)), owner=owner, body=body)
        self.tasks[task.id] = task
        self._jobs.spawn(self._walk(task))
        return task

    def find(self, task_id: str, owner: str) -> FakeMiniMaxTask | None:
        task = self.tasks.get(task_id)
        return task if task is not None and task.owner == owner else None

    def by_file(self, file_id: str, owner: str) -> FakeMiniMaxTask | None:
        return next((t for t in self.tasks.values() if t.file_id == file_id and t.owner == owner), None)

    async def close(self) -> None:
        await self._jobs.close()

    def _fails(self, task: FakeMiniMaxTask) -> bool:
        if self.knobs.fail_next > 0:
            self.knobs.fail_next -= 1
            return True
        prompt = str(task.body.get("prompt") or "")
        return any(word in prompt for word in self.knobs.fail_prompts_containing)

    async def _walk(self, task: FakeMiniMaxTask) -> None:
        fails = self._fails(task)
        for status in ("Queueing", "Processing"):
            await asyncio.sleep(self.knobs.step_s)
            task.status = status
        await asyncio.sleep(self.knobs.step_s)
        if self.knobs.hold:
            await self._released.wait()
        if fails:
            task.status, task.reason = "Fail", self.knobs.fail_reason
        else:
            task.file_id, task.status = str(next(_FILE_IDS)), "Success"
