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
from omnirelay.providers.video import VideoJob
from omnirelay.relay.auth import Caller
from omnirelay.relay.gate import Gate, JobRequest
from omnirelay.settings import TaskSettings
from omnirelay.tasks.engine import TaskEngine
from omnirelay.tasks.model import TaskRecord
from omnirelay.tasks.submission import NewTask, store_submitted

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
        new = NewTask(
            id=task.task_id, family=task.family, action="VIDEO", model=task.model, upstream_id=upstream_id,
            channel_id=channel_id, request={**task.request, "price": price}, notify_url=task.notify_url,
        )  # fmt: skip
        return await store_submitted(self._engine, new, held, self._settings)
