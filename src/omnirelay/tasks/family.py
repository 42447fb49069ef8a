"""What the engine needs from an API family and from the providers that serve it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.tasks.model import TaskRecord, UpstreamState

__all__ = ["TaskFamily", "TaskPoller"]


class TaskFamily(Protocol):
    """A family's wire shape of a task (what its fetch endpoint returns and its webhooks carry)."""

    name: str

    def render(self, record: TaskRecord) -> dict[str, Any]: ...


@runtime_checkable
class TaskPoller(Protocol):
    """A provider that can report on tasks it accepted, many per request where it can."""

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        """States of the tasks the upstream knows; ids it does not return are left alone."""
        ...
