"""The seam between the MiniMax family (MiniMax's own paths) and the upstreams that serve it.

The family checks the client's create and hands the adapter a :class:`~omnirelay.providers.video.VideoJob`
whose ``extra`` holds MiniMax's own fields as the client sent them (``duration``, ``resolution``,
``first_frame_image``...; never ``callback_url``). A separate capability from
:class:`~omnirelay.providers.video.VideoMaker`, so a MiniMax-shaped body only ever reaches a
MiniMax upstream, whatever other channels serve the same model name.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from omnirelay.channels.model import Channel
from omnirelay.providers.video import VideoJob

__all__ = ["MiniMaxUpstream"]


@runtime_checkable
class MiniMaxUpstream(Protocol):
    async def make_minimax_video(self, channel: Channel, job: VideoJob) -> str:
        """Start ``job`` as MiniMax's own create; the upstream id the provider's poller reads back."""
        ...
