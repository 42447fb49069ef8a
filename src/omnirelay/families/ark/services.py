"""The Ark family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.ark.image_service import ArkImageService
from omnirelay.families.ark.media import SeedanceMedia
from omnirelay.families.ark.queries import SeedanceQueries
from omnirelay.families.ark.removal import SeedanceRemoval
from omnirelay.families.ark.video_service import SeedanceService

__all__ = ["ArkServices"]


@dataclass(frozen=True, slots=True)
class ArkServices:
    images: ArkImageService
    videos: SeedanceService
    queries: SeedanceQueries
    removal: SeedanceRemoval
    media: SeedanceMedia
