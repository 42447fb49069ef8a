"""The fake Suno store (clips, tasks, personas) and the walk every music task's clips take.

A task's clips walk ``submitted -> queued -> streaming (streaming_steps) -> complete`` one step
every ``knobs.step_s``, on the server's loop; the second clip completes one step after the first.
The task's status is derived from its clips as Suno-API (the Go wrapper new-api was built on)
does: the clips' common status, or the one that is not ``complete`` when they differ. Every
change is POSTed to the submit's ``notify_hook`` when there is one (in order, no retries).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from omnirelay.testing._fake_jobs import FakeJobs
from omnirelay.testing._fake_suno_clips import Clip, clip_json, write_lyrics
from omnirelay.testing._fake_suno_knobs import FakeSunoKnobs
from omnirelay.testing._fake_suno_score import compose

__all__ = ["TASK_COST", "SunoEngine", "SunoTask"]

TASK_COST = 10
_STATUS = {"submitted": "SUBMITTED", "queued": "QUEUED", "streaming": "IN_PROGRESS", "complete": "SUCCESS"}
_DONE = frozenset({"SUCCESS", "FAILURE"})
_HOLD_POLL_S = 0.01


@dataclass
class SunoTask:
    """One task as newapi's ``/suno/fetch`` shows it; MUSIC tasks carry clips, LYRICS tasks ``lyrics``."""

    id: str
    action: str
    clips: list[Clip]
    submit_time: int
    notify_hook: str | None = None
    lyrics: dict[str, Any] | None = None
    status: str = "SUBMITTED"
    start_time: int = 0
    finish_time: int = 0
    fail_reason: str = ""
    progress: str = "0%"
    releases_seen: int = 0
    runner: asyncio.Task[None] | None = field(default=None, repr=False)
    last_notify: asyncio.Task[None] | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        data: Any = self.lyrics if self.action == "LYRICS" else [clip_json(clip) for clip in self.clips]
        return {
            "task_id": self.id,
            "action": self.action,
            "status": self.status,
            "fail_reason": self.fail_reason,
            "submit_time": self.submit_time,
            "start_time": self.start_time,
            "finish_time": self.finish_time,
            "progress": self.progress,
            "data": data,
        }


def derived_status(clips: list[Clip]) -> str:
    """Suno-API's rule: both clips' status, or the first one not ``complete`` when they differ."""
    statuses = [clip.status for clip in clips]
    status = statuses[0]
    if len(statuses) == 2 and statuses[0] != statuses[1] and statuses[0] == "complete":
        status = statuses[1]
    return _STATUS.get(status, "FAILURE")


class SunoEngine:
    def __init__(self, knobs: FakeSunoKnobs) -> None:
        self.knobs = knobs
        self.clips: dict[str, Clip] = {}
        self.tasks: dict[str, SunoTask] = {}
        self.personas: dict[str, dict[str, Any]] = {}
        self.midi_asked: dict[str, float] = {}
        self._jobs = FakeJobs()
        self._releases = 0

    def new_clip(self, base_url: str, *, seconds: float | None = None, vocals: bool = True, **fields: Any) -> Clip:
        """A clip (not stored yet) with a fresh UUID and a score composed from it, unless ``score`` is given."""
        clip_id = str(uuid.uuid4())
        score = fields.pop("score", None)
        if score is None:
            score = compose(clip_id, seconds if seconds is not None else self.knobs.clip_seconds, vocals=vocals)
        return Clip(id=clip_id, base_url=base_url, score=score, **fields)

    def add_clip(self, clip: Clip) -> Clip:
        self.clips[clip.id] = clip
        return clip

    def charge(self) -> bool:
        """Take one task's credits; False (nothing taken) when too few are left."""
        if self.knobs.credits < TASK_COST:
            return False
        self.knobs.credits -= TASK_COST
        return True

    def start(self, clips: list[Clip], *, notify_hook: str | None = None) -> SunoTask:
        """Register a MUSIC task over ``clips`` and start their walk in the background."""
        task = SunoTask(str(uuid.uuid4()), "MUSIC", clips, int(time.time()), notify_hook=notify_hook or None)
        for clip in clips:
            self.add_clip(clip)
        task.releases_seen = self._releases
        self.tasks[task.id] = task
        self._refresh(task, 0, 1)
        task.runner = self._jobs.spawn(self._run(task, self._planned_failure(clips)))
        return task

    def lyrics_task(self, prompt: str, notify_hook: str | None = None) -> SunoTask:
        """A LYRICS task, ``SUCCESS`` at once (Suno-API waits for the lyrics inside the submit)."""
        lyrics_id = str(uuid.uuid4())
        title, text = write_lyrics(prompt)
        now = int(time.time())
        task = SunoTask(lyrics_id, "LYRICS", [], now, notify_hook=notify_hook or None, status="SUCCESS")
        task.lyrics = {"id": lyrics_id, "status": "complete", "title": title, "text": text}
        task.start_time = task.finish_time = now
        task.progress = "100%"
        self.tasks[task.id] = task
        self._notify(task)
        return task

    def release(self) -> None:
        """Let every task started so far complete, wherever it is in its walk (``knobs.hold``)."""
        self._releases += 1

    async def close(self) -> None:
        await self._jobs.close()

    def _planned_failure(self, clips: list[Clip]) -> str | None:
        knobs = self.knobs
        text = " ".join(f"{c.prompt} {c.gpt_description_prompt} {c.tags}" for c in clips)
        for word in knobs.fail_prompts_containing:
            if word and word in text:
                return f"The fake upstream refuses prompts containing {word!r} (fail_prompts_containing)."
        if knobs.fail_tasks > 0:
            knobs.fail_tasks -= 1
            return knobs.fail_reason
        return None

    async def _run(self, task: SunoTask, failure: str | None) -> None:
        stages = ["submitted", "queued", *["streaming"] * max(1, self.knobs.streaming_steps), "complete"]
        last = len(stages) - 1
        total = last + len(task.clips) - 1
        fail_step = min(max(1, self.knobs.fail_at_step), last) if failure is not None else None
        for step in range(1, total + 1):
            await asyncio.sleep(self.knobs.step_s)
            if fail_step is not None and step >= fail_step:
                self._fail(task, failure or "")
                return
            if step == last:
                await self._wait_release(task)
            for index, clip in enumerate(task.clips):
                _advance(clip, stages[min(step, last - 1) if step < last + index else last])
            self._refresh(task, step, total)

    async def _wait_release(self, task: SunoTask) -> None:
        while self.knobs.hold and self._releases == task.releases_seen:  # noqa: ASYNC110 - knob and release() come from other threads
            await asyncio.sleep(_HOLD_POLL_S)

    def _fail(self, task: SunoTask, reason: str) -> None:
        for clip in task.clips:
            if clip.status != "complete":
                clip.status, clip.error_message = "error", reason
        self._refresh(task, 1, 1)

    def _refresh(self, task: SunoTask, step: int, total: int) -> None:
        before = orjson.dumps(task.to_json())
        task.status = derived_status(task.clips)
        now = int(time.time())
        if task.status == "IN_PROGRESS" and task.start_time == 0:
            task.start_time = now
        if task.status in _DONE:
            task.finish_time = task.finish_time or now
            task.progress = "100%"
            errors = [clip.error_message for clip in task.clips if clip.error_message]
            task.fail_reason = errors[0] if task.status == "FAILURE" and errors else task.fail_reason
        elif task.status == "IN_PROGRESS":
            task.progress = f"{min(99, 100 * step // max(1, total))}%"
        else:
            task.progress = "0%"
        if orjson.dumps(task.to_json()) != before or step == 0:
            self._notify(task)

    def _notify(self, task: SunoTask) -> None:
        if task.notify_hook is None or not self.knobs.send_notify:
            return
        body = orjson.dumps(task.to_json())
        task.last_notify = self._jobs.notify(task.notify_hook, body, task.last_notify)


def _advance(clip: Clip, status: str) -> None:
    if status in ("streaming", "complete") and clip.reveal is not None:
        title, lyrics = clip.reveal
        clip.title = clip.title or title
        clip.prompt = lyrics
        clip.reveal = None
    clip.status = status
