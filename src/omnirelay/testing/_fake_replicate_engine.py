"""The fake Replicate's predictions and the walk each takes on the server's loop.

``starting`` (``knobs.start_s``) -> ``processing`` (``knobs.run_s``, a log line and, for list
outputs, one more output per step) -> ``succeeded`` | ``failed``; ``cancel`` ends it ``canceled``
at any point before that; a ``Cancel-After`` deadline ends it ``aborted`` (never started) or
``canceled`` (running). Every change is offered to the webhook sender as its event.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from omnirelay.testing._fake_jobs import FakeJobs
from omnirelay.testing._fake_replicate_knobs import FakeReplicateKnobs
from omnirelay.testing._fake_replicate_models import ModelSpec
from omnirelay.testing._fake_replicate_webhooks import HookState, WebhookSender

__all__ = ["TERMINAL", "FakePrediction", "ReplicateEngine", "iso"]

TERMINAL = frozenset({"succeeded", "failed", "canceled", "aborted"})
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_HOLD_POLL_S = 0.01


def iso(moment: float | None) -> str | None:
    if moment is None:
        return None
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(moment))
    return f"{stamp}.{int(moment * 1_000_000) % 1_000_000:06d}Z"


def new_id() -> str:
    """26 characters of ``[a-z0-9]``, like Replicate's."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(26))


@dataclass
class FakePrediction:
    id: str
    seq: int
    model: ModelSpec
    version: str
    input: dict[str, Any]
    base_url: str
    hooks: HookState
    webhook: str | None = None
    events_filter: list[str] | None = None
    deployment: str | None = None
    deadline: float | None = None
    created_at: float = field(default_factory=time.time)
    status: str = "starting"
    logs: str = ""
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    started_at: float | None = None
    completed_at: float | None = None
    runner: asyncio.Task[None] | None = field(default=None, repr=False)
    changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def output(self) -> Any:
        if not self.outputs:
            return None
        return list(self.outputs) if self.model.many else self.outputs[-1]

    def to_json(self) -> dict[str, Any]:
        url = f"{self.base_url}v1/predictions/{self.id}"
        body: dict[str, Any] = {
            "id": self.id,
            "model": self.model.name,
            "version": self.version,
            "input": self.input,
            "logs": self.logs,
            "output": self.output() if self.status != "failed" else None,
            "data_removed": False,
            "error": self.error,
            "status": self.status,
            "source": "api",
            "created_at": iso(self.created_at),
            "started_at": iso(self.started_at),
            "completed_at": iso(self.completed_at),
            "urls": {"get": url, "cancel": f"{url}/cancel", "web": f"{self.base_url}p/{self.id}"},
        }
        if self.finished:
            body["metrics"] = self._metrics()
        optional = {"deadline": iso(self.deadline), "deployment": self.deployment, "webhook": self.webhook}
        body |= {key: value for key, value in optional.items() if value is not None}
        if self.events_filter is not None:
            body["webhook_events_filter"] = self.events_filter
        return body

    def _metrics(self) -> dict[str, float]:
        metrics: dict[str, float] = {"total_time": round((self.completed_at or 0) - self.created_at, 3)}
        if self.started_at is not None:
            metrics["predict_time"] = round((self.completed_at or 0) - self.started_at, 3)
        return metrics


class ReplicateEngine:
    def __init__(self, knobs: FakeReplicateKnobs) -> None:
        self.knobs = knobs
        self.predictions: dict[str, FakePrediction] = {}
        self._jobs = FakeJobs()
        self.webhooks = WebhookSender(lambda: self.knobs, self._jobs)
        self._seq = 0
        self._releases = 0

    def start(self, prediction: FakePrediction) -> FakePrediction:
        """Register ``prediction`` and start its walk (and its deadline, if any)."""
        self._seq += 1
        prediction.seq = self._seq
        self.predictions[prediction.id] = prediction
        failure = self._planned_failure(prediction)
        prediction.runner = self._jobs.spawn(self._run(prediction, failure, self._releases))
        if prediction.deadline is not None:
            self._jobs.spawn(self._expire(prediction))
        return prediction

    def cancel(self, prediction: FakePrediction) -> None:
        if not prediction.finished:
            self._end(prediction, "canceled")

    def release(self) -> None:
        self._releases += 1

    async def close(self) -> None:
        await self._jobs.close()
        await self.webhooks.close()

    async def wait(self, prediction: FakePrediction, seconds: float) -> None:
        """Hold until the prediction ends or ``seconds`` pass (``Prefer: wait``)."""
        deadline = time.monotonic() + seconds
        while not prediction.finished and (left := deadline - time.monotonic()) > 0:
            prediction.changed.clear()
            try:
                await asyncio.wait_for(prediction.changed.wait(), left)
            except TimeoutError:
                return

    def _planned_failure(self, prediction: FakePrediction) -> str | None:
        knobs = self.knobs
        prompt = str(prediction.input.get("prompt", ""))
        for word in knobs.fail_prompts_containing:
            if word and word in prompt:
                return f"The fake upstream refuses prompts containing {word!r} (fail_prompts_containing)."
        if knobs.fail_next > 0:
            knobs.fail_next -= 1
            return knobs.fail_reason
        draw = int.from_bytes(hashlib.sha256(prediction.id.encode()).digest()[:4], "big") / 2**32
        return knobs.fail_reason if draw < knobs.failure_rate else None

    def _slowness(self, prediction: FakePrediction) -> float:
        prompt = str(prediction.input.get("prompt", ""))
        slow = any(word and word in prompt for word in self.knobs.slow_prompts_containing)
        return self.knobs.slow_factor if slow else 1.0

    async def _run(self, prediction: FakePrediction, failure: str | None, releases: int) -> None:
        slowness = self._slowness(prediction)
        await asyncio.sleep(self.knobs.start_s * slowness)
        prediction.status, prediction.started_at = "processing", time.time()
        seed = int.from_bytes(hashlib.sha256(prediction.id.encode()).digest()[:2], "big")
        prediction.logs = f"Using seed: {prediction.input.get('seed') or seed}\n"
        self._changed(prediction, "start")
        self._changed(prediction, "logs")
        files = _planned_files(prediction)
        for step, name in enumerate(files, start=1):
            await asyncio.sleep(self.knobs.run_s * slowness / len(files))
            percent = 100 * step // len(files)
            prediction.logs += f"{percent:3d}%|{'#' * (percent // 10):<10}| {step}/{len(files)}\n"
            if prediction.model.many and failure is None:
                prediction.outputs.append(name)
                self._changed(prediction, "output")
            self._changed(prediction, "logs")
        while self.knobs.hold and self._releases == releases:  # noqa: ASYNC110 - knob and release() come from other threads
            await asyncio.sleep(_HOLD_POLL_S)
        if failure is not None:
            prediction.error = failure
            self._end(prediction, "failed")
            return
        prediction.outputs = files
        self._end(prediction, "succeeded")

    async def _expire(self, prediction: FakePrediction) -> None:
        await asyncio.sleep(max(0.0, (prediction.deadline or 0) - time.time()))
        if not prediction.finished:
            self._end(prediction, "aborted" if prediction.status == "starting" else "canceled")

    def _end(self, prediction: FakePrediction, status: str) -> None:
        runner = prediction.runner
        if runner is not None and runner is not asyncio.current_task():
            runner.cancel()
        prediction.status, prediction.completed_at = status, time.time()
        self._changed(prediction, "completed")

    def _changed(self, prediction: FakePrediction, event: str) -> None:
        prediction.changed.set()
        self.webhooks.event(prediction.hooks, event, prediction.to_json)


def _extension(prediction: FakePrediction) -> str:
    model, wanted = prediction.model, prediction.input.get("output_format")
    if model.output in ("svg", "video"):
        return {"svg": "svg", "video": "mp4"}[model.output]
    if model.output == "animation":
        return "mp4" if wanted == "mp4" else "gif"
    if model.output == "cutout":
        return "png"
    if wanted in ("png", "webp", "jpg"):
        return str(wanted)
    return "webp" if model.name.startswith(("black-forest-labs/", "lucataco/flux")) else "png"


def _planned_files(prediction: FakePrediction) -> list[str]:
    """The URLs of every output the prediction will have, served by the fake's file route."""
    count = 1
    if prediction.model.many and prediction.model.output == "image":
        wanted = prediction.input.get("num_outputs", 1)
        count = min(4, max(1, wanted)) if isinstance(wanted, int) and not isinstance(wanted, bool) else 1
    suffix = "-cutout" if prediction.model.output == "cutout" else ""
    base = f"{prediction.base_url}files/{prediction.id}"
    return [f"{base}/out-{index}{suffix}.{_extension(prediction)}" for index in range(count)]
