"""The fake Ark's Seedance tasks: ``cgt-`` ids, the walk queued -> running -> succeeded | failed | expired,
cancel while queued, delete once finished, and a callback POST on every change (unsigned, as Ark sends it).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.testing._fake_ark_knobs import FakeArkKnobs
from omnirelay.testing._fake_ark_wire import prompt_of
from omnirelay.testing._fake_jobs import FakeJobs

__all__ = ["ArkEngine", "FakeSeedanceTask"]

_IDS = itertools.count(1)


def _s() -> int:
    return int(time.time())


@dataclass
class FakeSeedanceTask:
    id: str
    owner: str
    body: dict[str, Any]
    base_url: str
    resolution: str
    duration: int
    status: str = "queued"
    error: dict[str, str] | None = None
    created_at: int = field(default_factory=_s)
    updated_at: int = 0
    last_hook: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.updated_at = self.created_at

    def to_json(self) -> dict[str, Any]:
        """The task as ``GET .../tasks/{id}`` answers it."""
        answer: dict[str, Any] = {"id": self.id, "model": self.body.get("model"), "status": self.status}
        if self.status == "succeeded":
            files = f"{self.base_url.rstrip('/')}/files"
            answer["content"] = {"video_url": f"{files}/videos/{self.id}.mp4"}
            if self.body.get("return_last_frame"):
                answer["content"]["last_frame_url"] = f"{files}/frames/{self.id}.png"
            answer["usage"] = {"completion_tokens": 246840, "total_tokens": 246840}
        answer.update(
            seed=self.body.get("seed", 42),
            resolution=self.resolution,
            ratio=self.body.get("ratio", "16:9"),
            duration=self.duration,
            framespersecond=24,
            error=self.error,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )
        return answer


def _default_resolution(body: dict[str, Any]) -> str:
    """Ark's default: 1080p for seedance-1-0-pro, 720p for the others."""
    return "1080p" if "1-0-pro" in str(body.get("model")) else "720p"


class ArkEngine:
    def __init__(self, knobs: FakeArkKnobs) -> None:
        self.knobs = knobs
        self.tasks: dict[str, FakeSeedanceTask] = {}
        self._jobs = FakeJobs()
        self._released = asyncio.Event()

    def start(self, owner: str, body: dict[str, Any], base_url: str) -> FakeSeedanceTask:
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        knobs = self.knobs
        task = FakeSeedanceTask(
            id=f"cgt-{stamp}-fk{next(_IDS):04d}",
            owner=owner,
            body=body,
            base_url=base_url,
            resolution=knobs.reported_resolution or str(body.get("resolution") or _default_resolution(body)),
            duration=knobs.reported_duration or int(body.get("duration") or 5),
        )
        self.tasks[task.id] = task
        self._jobs.spawn(self._walk(task))
        return task

    def mine(self, task_id: str, owner: str) -> FakeSeedanceTask | None:
        task = self.tasks.get(task_id)
        return task if task is not None and task.owner == owner else None

    def release(self) -> None:
        self._released.set()

    async def close(self) -> None:
        await self._jobs.close()

    def _ending(self, task: FakeSeedanceTask) -> str:
        knobs = self.knobs
        if knobs.expire_next > 0:
            knobs.expire_next -= 1
            return "expired"
        if knobs.fail_next > 0:
            knobs.fail_next -= 1
            return "failed"
        prompt = prompt_of(task.body)
        return "failed" if any(word in prompt for word in knobs.fail_prompts_containing) else "succeeded"

    async def _walk(self, task: FakeSeedanceTask) -> None:
        ending = self._ending(task)
        self._notify(task)
        await asyncio.sleep(self.knobs.step_s)
        if self.knobs.hold:
            await self._released.wait()
        if task.status != "queued":  # cancelled meanwhile
            return
        if ending == "expired":
            self.move(task, "expired", {"code": "TaskExpired", "message": "The task expired before it ran."})
            return
        self.move(task, "running")
        await asyncio.sleep(self.knobs.step_s)
        if ending == "failed":
            self.move(task, "failed", {"code": "InternalServiceError", "message": self.knobs.fail_reason})
        else:
            self.move(task, "succeeded")

    def move(self, task: FakeSeedanceTask, status: str, error: dict[str, str] | None = None) -> None:
        task.status, task.error, task.updated_at = status, error, _s()
        self._notify(task)

    def _notify(self, task: FakeSeedanceTask) -> None:
        url = task.body.get("callback_url")
        if isinstance(url, str) and url and self.knobs.send_callbacks:
            task.last_hook = self._jobs.notify(url, orjson.dumps(task.to_json()), task.last_hook)
