"""The Replicate family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.replicate.listing import Listing
from omnirelay.families.replicate.media import OutputFiles
from omnirelay.families.replicate.queries import Predictions
from omnirelay.families.replicate.service import ReplicateService
from omnirelay.families.replicate.wire import ReplicateFamily

__all__ = ["ReplicateServices"]


@dataclass(frozen=True, slots=True)
class ReplicateServices:
    family: ReplicateFamily
    creates: ReplicateService
    predictions: Predictions
    listing: Listing
    files: OutputFiles
    max_file_bytes: int
    """Largest decoded ``data:`` URI input (``tasks.max_image_bytes``): larger ones are a 413."""
