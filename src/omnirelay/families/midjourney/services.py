"""The Midjourney family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.midjourney.cancel import TaskCancels
from omnirelay.families.midjourney.listing import TaskListing
from omnirelay.families.midjourney.media import MediaLinks
from omnirelay.families.midjourney.queries import MidjourneyQueries
from omnirelay.families.midjourney.service import MidjourneyService

__all__ = ["MidjourneyServices"]


@dataclass(frozen=True, slots=True)
class MidjourneyServices:
    submissions: MidjourneyService
    queries: MidjourneyQueries
    listing: TaskListing
    cancels: TaskCancels
    media: MediaLinks
