"""The videos family's registration line (imported by billing: keep it to plain data)."""

from __future__ import annotations

from omnirelay.families.spec import FamilySpec

__all__ = ["VIDEOS"]

VIDEOS = FamilySpec(name="videos", plugin="omnirelay.families.videos.plugin:PLUGIN")
