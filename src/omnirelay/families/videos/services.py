"""The videos family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.videos.generations import VideoGenerations
from omnirelay.families.videos.service import VideosService
from omnirelay.tasks.video_media import VideoFiles, VideoLinks

__all__ = ["VideosServices"]


@dataclass(frozen=True, slots=True)
class VideosServices:
    videos: VideosService
    generations: VideoGenerations
    links: VideoLinks
    files: VideoFiles
    poll_after_ms: int
    """What ``openai-poll-after-ms`` tells a polling client."""
