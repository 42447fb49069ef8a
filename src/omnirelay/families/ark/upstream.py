"""The seam between the Ark family and the upstreams that serve it (``providers/ark/``).

Images: the family checks the client's body and hands the adapter the body as Ark takes it (the
model as the client named it; the adapter maps it to the channel's name). The adapter answers the
images themselves (bytes: it downloads what the upstream only linked to), never the upstream's URLs.

Seedance: the family hands the adapter the create (no ``callback_url``: the gateway sends its own
signed webhooks) and gets back an opaque upstream id to poll. The adapter's poller reports
:class:`~omnirelay.tasks.model.UpstreamState` whose ``result`` holds ``videos`` (the video
convention of :mod:`omnirelay.providers.video`) and ``ark`` (what the upstream reported: resolution,
ratio, duration, fps, seed, usage, its own status and error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.providers.base import GeneratedImage

__all__ = ["ArkImages", "ArkImagesUpstream", "SeedanceSubmit", "SeedanceUpstream"]


@dataclass(frozen=True, slots=True)
class ArkImages:
    """What a call drew (a :class:`~omnirelay.families.sync_call.DrawnImages`)."""

    model: str
    created: int
    images: tuple[GeneratedImage, ...]
    """The images themselves (downloaded by the adapter), in order."""
    sizes: tuple[str | None, ...]
    """Each image's ``WxH`` as the upstream reported it."""
    usage: Mapping[str, int] = field(default_factory=dict)
    """``generated_images``, ``output_tokens``, ``total_tokens`` as the upstream reported them."""


@runtime_checkable
class ArkImagesUpstream(Protocol):
    async def generate_images(self, channel: Channel, body: Mapping[str, Any]) -> ArkImages:
        """Draw; raises an :class:`~omnirelay.errors.UpstreamError` when the upstream does not."""
        ...


@dataclass(frozen=True, slots=True)
class SeedanceSubmit:
    """A checked create, as Ark takes it (``model`` as the client named it, no ``callback_url``)."""

    body: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class SeedanceUpstream(Protocol):
    async def submit_video(self, channel: Channel, submit: SeedanceSubmit) -> str:
        """Start the task; the upstream id the same provider's poller reads back."""
        ...

    async def cancel_video(self, channel: Channel, upstream_id: str) -> bool:
        """Ask the upstream to drop a queued task; False when it refuses (already running); an
        :class:`~omnirelay.errors.UpstreamError` when it could not be asked."""
        ...
