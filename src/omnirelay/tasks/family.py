"""What the engine needs from an API family and from the providers that serve it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.tasks.model import TaskRecord, UpstreamState

__all__ = ["MeteredFamily", "OnceEvents", "TaskFamily", "TaskPoller", "WebhookEvents", "WebhookHeaders"]


class TaskFamily(Protocol):
    """A family's wire shape of a task (what its fetch endpoint returns and its webhooks carry)."""

    name: str

    def render(self, record: TaskRecord) -> dict[str, Any]: ...


@runtime_checkable
class WebhookEvents(Protocol):
    """A family that chooses which changes its webhooks report (Replicate's ``webhook_events_filter``).

    Families without it send every change, named ``{family}.task.{status}``."""

    def webhook_event(self, before: TaskRecord | None, after: TaskRecord) -> str | None:
        """The event name ``after`` is delivered as (``before`` None: just created), or None for no delivery."""
        ...


@runtime_checkable
class WebhookHeaders(Protocol):
    """A family whose webhooks carry headers of the vendor's own besides Standard Webhooks' (BFL signs
    each body with the secret the client gave: ``X-BFL-Signature``)."""

    def webhook_headers(self, record: TaskRecord, body: bytes) -> Mapping[str, str]:
        """Extra headers of the message carrying ``body`` about ``record`` (empty: none)."""
        ...


@runtime_checkable
class OnceEvents(Protocol):
    """A family some of whose webhook events are sent once and never retried (Replicate's
    intermediate ``start``/``output``/``logs``); the others keep the retry schedule."""

    def retried(self, event: str) -> bool:
        """Whether a refused delivery of ``event`` (one of this family's names) is tried again."""
        ...


@runtime_checkable
class MeteredFamily(Protocol):
    """A family whose tasks cost what they used (seconds of compute), not always their whole hold."""

    def cost(self, record: TaskRecord) -> int | None:
        """What ``record``, just succeeded, costs (the hold bounds it); None: its hold."""
        ...


@runtime_checkable
class TaskPoller(Protocol):
    """A provider that can report on tasks it accepted, many per request where it can."""

    async def poll(self, channel: Channel, upstream_ids: Sequence[str]) -> dict[str, UpstreamState]:
        """States of the tasks the upstream knows; ids it does not return are left alone."""
        ...
