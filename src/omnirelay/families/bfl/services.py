"""The BFL family's services on one runtime: what its route handlers call."""

from __future__ import annotations

from dataclasses import dataclass

from omnirelay.families.bfl.media import BflMedia
from omnirelay.families.bfl.queries import BflQueries
from omnirelay.families.bfl.service import BflService

__all__ = ["BflServices"]


@dataclass(frozen=True, slots=True)
class BflServices:
    submissions: BflService
    queries: BflQueries
    media: BflMedia
