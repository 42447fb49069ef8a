"""The fake Kling's tasks: deterministic 18-digit ids, the walk submitted -> processing -> succeed | failed,
a callback POST on every change (``callback_url``, unsigned as Kling sends it), and the result files.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.testing._fake_jobs import FakeJobs
from omnirelay.testing._fake_kling_knobs import FakeKlingKnobs

__all__ = ["FakeKlingTask", "KlingEngine"]

_IDS = itertools.count(867283741759111202)


def _ms() -> int:
    return int(time.time() * 1000)


@dataclass
class FakeKlingTask:
    id: str
    kind: str
    """``text2video``, ``image2video`` or ``images``."""
    owner: str
    """The access key that created it (a task is seen only by its own account)."""
    body: dict[str, Any]
    base_url: str
    status: str = "submitted"
    message: str = ""
    images_made: int | None = None
    video_seconds: str | None = None
    created_at: int = field(default_factory=_ms)
    updated_at: int = 0
    last_hook: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.updated_at = self.created_at

    @property
    def external_id(self) -> str | None:
        value = self.body.get("external_task_id")
        return value if isinstance(value, str) and value else None

    def _result(self) -> dict[str, Any]:
        files = f"{self.base_url.rstrip('/')}/files/{self.id}"
        if self.kind == "images":
            count = int(self.body.get("n") or 1)
            if self.images_made is not None:
                count = min(count, self.images_made)
            return {"images": [{"index": n, "url": f"{files}/{n}.png"} for n in range(count)]}
        duration = self.video_seconds or str(self.body.get("duration") or "5")
        return {"videos": [{"id": f"{self.id}-0", "url": f"{files}/0.mp4", "duration": duration}]}

    def to_json(self) -> dict[str, Any]:
        """The task as a query answers it (``data`` of the envelope)."""
        answer: dict[str, Any] = {
            "task_id": self.id,
            "task_status": self.status,
            "task_status_msg": self.message,
            "task_info": {"external_task_id": self.external_id} if self.external_id else {},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        if self.status == "succeed":
            answer["task_result"] = self._result()
        return answer

    def callback_body(self) -> dict[str, Any]:
        body = self.to_json()
        if self.status == "succeed":
            body["final_unit_deduction"] = "1"
        return body


class KlingEngine:
    def __init__(self, knobs: FakeKlingKnobs) -> None:
        self.knobs = knobs
        self.tasks: dict[str, FakeKlingTask] = {}
        self._jobs = FakeJobs()
        self._released = asyncio.Event()

    def start(self, kind: str, owner: str, body: dict[str, Any], base_url: str) -> FakeKlingTask:
        task = FakeKlingTask(
            id=str(next(_IDS)),
            kind=kind,
            owner=owner,
            body=body,
            base_url=base_url,
            images_made=self.knobs.images_made,
            video_seconds=self.knobs.video_seconds,
        )
        self.tasks[task.id] = task
        self._jobs.spawn(self._walk(task))
        return task

    def find(self, key: str, kind: str, owner: str) -> FakeKlingTask | None:
        """The caller's task of ``kind`` by its id or its ``external_task_id``."""
        task = self.tasks.get(key) or next((t for t in self.tasks.values() if t.external_id == key), None)
        if task is None or task.kind != kind or task.owner != owner:
            return None
        return task

    def listed(self, kind: str, owner: str) -> list[FakeKlingTask]:
        mine = [t for t in self.tasks.values() if t.kind == kind and t.owner == owner]
        return sorted(mine, key=lambda t: t.id, reverse=True)

    def release(self) -> None:
        self._released.set()

    async def close(self) -> None:
        await self._jobs.close()

    def _fails(self, task: FakeKlingTask) -> bool:
        knobs = self.knobs
        if knobs.fail_next > 0:
            knobs.fail_next -= 1
            return True
        prompt = str(task.body.get("prompt") or "")
        return any(word in prompt for word in knobs.fail_prompts_containing)

    async def _walk(self, task: FakeKlingTask) -> None:
        fails = self._fails(task)
        prompt = str(task.body.get("prompt") or "")
        slow = any(word in prompt for word in self.knobs.slow_prompts_containing)
        step = self.knobs.step_s * (self.knobs.slow_factor if slow else 1.0)
        self._notify(task)
        await asyncio.sleep(step)
        self._move(task, "processing")
        await asyncio.sleep(step)
        if self.knobs.hold:
            await self._released.wait()
        if fails:
            self._move(task, "failed", self.knobs.fail_reason)
        else:
            self._move(task, "succeed")

    def _move(self, task: FakeKlingTask, status: str, message: str = "") -> None:
        task.status, task.message, task.updated_at = status, message, _ms()
        self._notify(task)

    def _notify(self, task: FakeKlingTask) -> None:
        url = task.body.get("callback_url")
        if isinstance(url, str) and url and self.knobs.send_callbacks:
            task.last_hook = self._jobs.notify(url, orjson.dumps(task.callback_body()), task.last_hook)
