"""The Kling family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.kling.media import KlingMedia
from omnirelay.families.kling.queries import KlingQueries
from omnirelay.families.kling.service import KlingService

__all__ = ["KlingServices"]


@dataclass(frozen=True, slots=True)
class KlingServices:
    submissions: KlingService
    queries: KlingQueries
    media: KlingMedia
