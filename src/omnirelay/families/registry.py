"""Every task family of the gateway: adding one is one line here (and its folder beside this file)."""

from __future__ import annotations

from omnirelay.families.ark.spec import ARK
from omnirelay.families.bfl.spec import BFL
from omnirelay.families.ideogram.spec import IDEOGRAM
from omnirelay.families.kling.spec import KLING
from omnirelay.families.midjourney.spec import MIDJOURNEY
from omnirelay.families.minimax.spec import MINIMAX
from omnirelay.families.recraft.spec import RECRAFT
from omnirelay.families.replicate.spec import REPLICATE
from omnirelay.families.spec import FamilySpec
from omnirelay.families.suno.spec import SUNO
from omnirelay.families.task_vendor.spec import TASK_VENDOR
from omnirelay.families.videos.spec import VIDEOS

__all__ = ["FAMILIES"]

FAMILIES: tuple[FamilySpec, ...] = (
    MIDJOURNEY,
    SUNO,
    REPLICATE,
    KLING,
    BFL,
    ARK,
    MINIMAX,
    VIDEOS,
    TASK_VENDOR,
    IDEOGRAM,
    RECRAFT,
)
