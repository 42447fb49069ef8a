"""Starting a video task for any video family: hold its price, start it upstream (failing over), store it.

Nothing is held before the family has checked the request, and nothing is stored unless an
upstream accepted the task: a refused or failed create is refunded at once, after failing over
to the model's other channels where that can help. From then on the engine polls the task with
the channel's :class:`~omnirelay.tasks.family.TaskPoller`, settles the hold when it succeeds and
refunds it when it fails or times out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from omnirelay.catalog import Catalog
from omnirelay.channels.model import Channel
from omnirelay.db.engine import now_ms
from omnirelay.errors import OmniRelayError
from omnirelay.providers.video import VideoJob
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import Status, TaskRecord

__all__ = ["VideoStarter", "VideoTask", "price_names"]


P = TypeVar("P")


def price_names(model: str, variant: str | None, seconds: str | None) -> list[str]:
    """``{model}:{variant}:{seconds}``, ``{model}:{variant}``, ``{model}`` (levels without a value skipped)."""
    names = []
    if variant and seconds:
        names.append(f"{model}:{variant}:{seconds}")
    if variant:
        names.append(f"{model}:{variant}")
    return [*names, model]


@dataclass(frozen=True, slots=True)
class VideoTask:
    """One checked request to start: who, what, and where its task is kept."""

    task_id: str
    family: str
    endpoint: str
    caller: Caller
    model: str
    job: VideoJob
    """The job with the client's model name (each channel's map is applied when it is tried)."""
    price_names: Sequence[str]
    request: Mapping[str, Any] = field(default_factory=dict)
    """Kept on the record: what the family renders later (the asked ``size``, ``seconds``...)."""
    notify_url: str | None = None


class VideoStarter:
    def __init__(self, *, gate: Gate, engine: TaskEngine, catalog: Catalog, settings: TaskSettings) -> None:
        self._gate = gate
        self._engine = engine
        self._catalog = catalog
        self._settings = settings

    def _price_name(self, task: VideoTask) -> str:
        prices = self._catalog.snapshot.prices
        return next((name for name in task.price_names if name in prices), task.model)

    async def start(
        self, task: VideoTask, capability: type[P], starts: Callable[[P, Channel, VideoJob], Awaitable[str]]
    ) -> TaskRecord:
        """The stored task, once an upstream accepted it (``starts`` answers the upstream id)."""
        price = self._price_name(task)
        request = JobRequest(task.endpoint, task.model, 0, 0, price_name=price)
        held = await self._gate.open_job(task.caller, request, task.task_id)

        async def attempt(provider: P, channel: Channel) -> tuple[str, int]:
            job = VideoJob(channel.upstream_model(task.model), task.job.prompt, task.job.seconds,
                           task.job.size, task.job.image, task.job.extra)  # fmt: skip
            return await starts(provider, channel, job), channel.id

        upstream_id, channel_id = await self._gate.run(held, capability, attempt)
        record = self._record(task, held.reservation.amount, upstream_id, channel_id, price)
        try:
            await self._engine.create(record)
        except Exception as exc:
            await held.fail(OmniRelayError(f"the task could not be stored: {exc}"))
            raise
        held.hand_over()
        return record

    def _record(self, task: VideoTask, hold: int, upstream_id: str, channel_id: int, price: str) -> TaskRecord:
        now = now_ms()
        poll_ms = int(self._settings.poll_min_s * 1000)
        return TaskRecord(
            id=task.task_id, family=task.family, action="VIDEO", model=task.model, status=Status.SUBMITTED,
            progress=0, account_id=task.caller.key.account_id, key_id=task.caller.key.id, channel_id=channel_id,
            upstream_id=upstream_id, parent_id=None, hold=hold, billing="reserved", cost=0,
            request={**task.request, "price": price}, result={}, fail_reason=None, notify_url=task.notify_url,
            submit_time=now, start_time=None, finish_time=None, deadline=now + int(self._settings.timeout_s * 1000),
            next_poll_at=now + poll_ms, poll_interval_ms=poll_ms, version=1, updated_at=now,
        )  # fmt: skip
