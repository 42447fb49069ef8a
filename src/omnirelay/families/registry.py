"""Every task family of the gateway: adding one is one line here (and its folder beside this file)."""

from __future__ import annotations

from omnirelay.families.kling.spec import KLING
from omnirelay.families.midjourney.spec import MIDJOURNEY
from omnirelay.families.replicate.spec import REPLICATE
from omnirelay.families.spec import FamilySpec
from omnirelay.families.suno.spec import SUNO

__all__ = ["FAMILIES"]

FAMILIES: tuple[FamilySpec, ...] = (MIDJOURNEY, SUNO, REPLICATE, KLING)
