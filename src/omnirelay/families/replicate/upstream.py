"""What the Replicate family needs of a provider, as capabilities over the adapter's seam.

The neutral create and prediction are the adapter's (:mod:`omnirelay.providers.replicate.upstream`):
the family hands over the client's create as it came and gets back the upstream's prediction,
read into the engine's :class:`~omnirelay.tasks.model.UpstreamState` (whose
``result["prediction"]`` holds Replicate's own fields, rendered by :mod:`.wire`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.providers.replicate.upstream import ReplicateCreate, ReplicatePrediction

__all__ = ["ReplicateCancel", "ReplicateUpstream", "ReplicateWebhookCheck"]


@runtime_checkable
class ReplicateUpstream(Protocol):
    async def create(self, channel: Channel, create: ReplicateCreate) -> ReplicatePrediction:
        """Create one prediction; an upstream refusal is an ``UpstreamError``."""
        ...


@runtime_checkable
class ReplicateCancel(Protocol):
    async def cancel(self, channel: Channel, upstream_id: str) -> ReplicatePrediction:
        """Ask the upstream to stop a prediction; its state after."""
        ...


@runtime_checkable
class ReplicateWebhookCheck(Protocol):
    def verify_webhook(self, channel: Channel, headers: Mapping[str, str], body: bytes) -> ReplicatePrediction:
        """The prediction a webhook POSTed to the gateway carries, once its signature checks out (else an error)."""
        ...
