"""The video capability: any provider whose upstream makes videos from a prompt (and a first frame).

The common video ingress (``/v1/videos``) submits through :class:`VideoMaker` to whatever channel
serves the model (MiniMax, Seedance, Kling, another gateway's ``/v1/videos``...) and the engine
polls the task with the same provider's :class:`~omnirelay.tasks.family.TaskPoller`.

Convention every video provider keeps, so the video ingress and the unified video query
(``/v1/video/generations/{id}``) read any vendor's finished task the same way: the
:class:`~omnirelay.tasks.model.UpstreamState` its poller answers for a video task carries
``result["videos"]``, a list of ``{"url": str, "duration"?: number|str, "cover_url"?: str,
"width"?: int, "height"?: int}`` (the upstream's own links; the families rewrite them to signed
gateway links when they answer a client).

A provider whose stored links expire (MiniMax's ``download_url``) or need the channel's key
(another gateway's ``/v1/videos/{id}/content``) also implements :class:`VideoSourcer`: each
download then asks it where the file is right now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from omnirelay.channels.model import Channel

__all__ = ["VIDEOS_KEY", "VideoJob", "VideoMaker", "VideoSource", "VideoSourcer"]

VIDEOS_KEY = "videos"
"""The result key of a video task's produced files (see the module's convention)."""


@dataclass(frozen=True, slots=True)
class VideoJob:
    """One video to make, in vendor-neutral terms."""

    model: str
    """The channel's own name for the model (already mapped)."""
    prompt: str
    seconds: int | None = None
    size: str | None = None
    """``WxH`` as the client asked (OpenAI's ``size``); each provider maps it to its resolution/ratio."""
    image: str | None = None
    """A first frame: an https URL or a ``data:`` URL."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Vendor fields the client sent beyond the common ones, passed through as they are."""


@runtime_checkable
class VideoMaker(Protocol):
    """A provider that can start a video task for the common video ingress."""

    async def make_video(self, channel: Channel, job: VideoJob) -> str:
        """Start ``job``; the upstream id the same provider's poller reads back."""
        ...


@dataclass(frozen=True, slots=True)
class VideoSource:
    """Where a finished task's file is fetched from right now, and the headers that fetch must send."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    """Sent only to the URL's own origin (never to where it redirects), e.g. the channel's key."""


@runtime_checkable
class VideoSourcer(Protocol):
    """A provider that tells, at each download, where a finished task's file is (its stored link may not do)."""

    async def video_source(
        self, channel: Channel, upstream_id: str, result: Mapping[str, Any], variant: str
    ) -> VideoSource | None:
        """``variant`` (``video``/``thumbnail``) of the task ``upstream_id`` whose stored ``result`` is given;
        None: the stored link is as good as any (the caller uses it)."""
        ...
