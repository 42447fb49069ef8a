"""The fake Midjourney task store and lifecycle: NOT_START -> SUBMITTED -> IN_PROGRESS -> SUCCESS | FAILURE.

Each started task is driven by one asyncio task on the app's loop; every change replaces the task's
JSON and, when the submit carried a ``notifyHook``, is POSTed there (in order, no retries).
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import orjson

from omnirelay.testing._fake_jobs import FakeJobs
from omnirelay.testing._fake_mj_buttons import success_buttons
from omnirelay.testing._fake_mj_content import final_image_name, final_prompt
from omnirelay.testing._fake_mj_knobs import FakeMidjourneyKnobs
from omnirelay.testing._fake_mj_task import Draft, FakeTask, mint_id, now_ms, task_json
from omnirelay.testing._fake_mj_video import clip_name, thumbnail_name

__all__ = ["TaskEngine"]

_TEXT_ACTIONS = frozenset({"DESCRIBE", "SHORTEN"})
_HOLD_POLL_S = 0.01


class TaskEngine:
    def __init__(self, knobs: FakeMidjourneyKnobs) -> None:
        self.knobs = knobs
        self.records: dict[str, FakeTask] = {}
        self._jobs = FakeJobs()
        self._releases = 0

    def new_id(self) -> str:
        return mint_id(self.records)

    def create(self, draft: Draft, base_url: str) -> FakeTask:
        task = FakeTask(
            data=task_json(draft, self.knobs.dialect),
            job_hash=str(uuid.uuid4()),
            base_url=base_url,
            mode=draft.mode,
            notify_hook=draft.notify_hook or None,
            source_image=draft.source_image,
            result_text=draft.result_text,
            video_clips=draft.video_clips,
        )
        self.records[task.id] = task
        return task

    def start(self, task: FakeTask, queued: int) -> None:
        """Run the task's lifecycle in the background (``queued`` tasks wait that many extra steps)."""
        task.queued = queued
        task.fail_reason = self._planned_failure(task)
        task.runner = self._jobs.spawn(self._run(task))

    def release(self) -> None:
        """Let every task held so far (``knobs.hold``) finish."""
        self._releases += 1

    def update(self, task: FakeTask, changes: dict[str, Any], properties: dict[str, Any] | None = None) -> None:
        data = {**task.data, **changes}
        if properties:
            data["properties"] = {**task.properties, **properties}
        task.data = data
        if data["status"] not in ("NOT_START", "MODAL"):
            self._notify(task)

    def fail(self, task: FakeTask, reason: str) -> None:
        if task.runner is not None and task.runner is not asyncio.current_task():
            task.runner.cancel()
        self.update(task, {"status": "FAILURE", "progress": "", "failReason": reason, "finishTime": now_ms()})

    async def close(self) -> None:
        await self._jobs.close()

    def _planned_failure(self, task: FakeTask) -> str | None:
        text = f"{task.data.get('prompt') or ''} {task.data.get('promptEn') or ''}"
        for word in self.knobs.fail_prompts_containing:
            if word and word in text:
                return f"[Invalid parameter] The fake upstream refuses prompts containing {word!r}"
        if self.knobs.fail_next > 0:
            self.knobs.fail_next -= 1
            return "[Internal Server Error] fake failure (fail_next)"
        return None

    async def _run(self, task: FakeTask) -> None:
        step = self.knobs.step_s
        await asyncio.sleep(step * (1 + task.queued))
        self.update(task, {"status": "SUBMITTED", "startTime": now_ms(), "progress": "0%"})
        if task.fail_reason is not None:
            await asyncio.sleep(step)
            self.fail(task, task.fail_reason)
            return
        for percent in list(self.knobs.progress_steps):
            await asyncio.sleep(step)
            preview = None if task.action in _TEXT_ACTIONS else self._url(task, f"preview{percent}_{task.job_hash}.png")
            self.update(task, {"status": "IN_PROGRESS", "progress": f"{percent}%", "imageUrl": preview})
        await self._wait_release()
        await asyncio.sleep(step)
        self._succeed(task)

    async def _wait_release(self) -> None:
        seen = self._releases
        while self.knobs.hold and self._releases == seen:  # noqa: ASYNC110 - knob and release() come from other threads
            await asyncio.sleep(_HOLD_POLL_S)

    def _succeed(self, task: FakeTask) -> None:
        changes: dict[str, Any] = {
            "status": "SUCCESS",
            "progress": "100%",
            "finishTime": now_ms(),
            "buttons": success_buttons(task.action, task.job_hash),
        }
        done = task.properties.get("finalPrompt") or final_prompt(task.data["promptEn"], task.data["botType"])
        if task.action == "DESCRIBE":
            done = task.result_text
            changes |= {"promptEn": done, "imageUrl": task.source_image}
            if self.knobs.dialect == "novicezk":
                changes["prompt"] = done
        elif task.action == "VIDEO":
            changes |= _videos(task)
        elif task.action == "SHORTEN":
            done = task.result_text
            changes["imageUrl"] = None
            if self.knobs.dialect == "trueai":
                changes["description"] = done
        else:
            changes["imageUrl"] = self._url(task, final_image_name(task.data["prompt"], task.job_hash))
        properties = {"finalPrompt": done, "messageId": _snowflake(), "messageHash": task.job_hash, "flags": 0}
        self.update(task, changes, properties)

    def _url(self, task: FakeTask, name: str) -> str:
        return f"{task.base_url}attachments/{name}"

    def _notify(self, task: FakeTask) -> None:
        if task.notify_hook is None or not self.knobs.send_notify:
            return
        body = orjson.dumps(task.data)
        task.last_notify = self._jobs.notify(task.notify_hook, body, task.last_notify)


def _videos(task: FakeTask) -> dict[str, Any]:
    """trueai's VIDEO result: one ``{url, thumbnail}`` per clip; ``imageUrl`` and ``videoUrl`` are the first."""
    base = f"{task.base_url}attachments/"
    clips = [
        {"url": base + clip_name(task.job_hash, n), "thumbnail": base + thumbnail_name(task.job_hash, n)}
        for n in range(max(1, task.video_clips))
    ]
    return {"imageUrl": clips[0]["url"], "videoUrl": clips[0]["url"], "videoUrls": clips}


def _snowflake() -> str:
    return str(1_200_000_000_000_000_000 + secrets.randbelow(10**17))
