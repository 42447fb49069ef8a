"""The task-vendor family's registration line (imported by billing: keep it light)."""

from __future__ import annotations

from omnirelay.families.spec import FamilySpec

__all__ = ["TASK_VENDOR"]

TASK_VENDOR = FamilySpec(
    name="task_vendor",
    plugin="omnirelay.families.task_vendor.plugin:PLUGIN",
    per_call_channel_types=frozenset({"task_vendor"}),
)
